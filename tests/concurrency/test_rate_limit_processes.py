"""The rate limit holds across processes: 2 real server processes on one database (SQLite: the
sidecar file; PostgreSQL: the UNLOGGED table), or sharing a Redis, count one token's requests
together, exactly. 150 simultaneous calls spread over both are answered 200 exactly 100 times
(each count from 99 down to 0 given once) and 429 the other 50."""

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from support.api import create_tenant
from support.databases import fresh_database
from support.redis_server import REDIS_URL, redis_or_skip
from support.server import live_server

pytestmark = pytest.mark.slow

LIMITS = "100/60s,200000/day"
CALLS = 150


def wait_for_a_fresh_window(window_s: int = 60, needed_s: float = 20) -> None:
    """Fire well inside one 60-second window (windows start at every whole minute), so that the
    burst cannot straddle two windows."""
    left = window_s - time.time() % window_s
    if left < needed_s:
        time.sleep(left + 0.2)


@pytest.mark.parametrize("counters", ["database", "redis"])
def test_two_processes_share_one_tokens_limit(tmp_path, counters):
    env = {"OPENCALENDARS_RATE_LIMITS": LIMITS}
    if counters == "redis":
        redis_or_skip()
        env["OPENCALENDARS_REDIS_URL"] = REDIS_URL
    with (
        fresh_database(tmp_path) as url,
        live_server(url, tmp_path, env=env) as first,
        live_server(url, tmp_path, env=env) as second,
        httpx.Client(base_url=first.base_url, timeout=60) as admin,
    ):
        tenant = create_tenant(admin)  # the admin API is not counted
        clients = [
            httpx.Client(base_url=server.base_url, headers=tenant.headers(), timeout=60)
            for server in (first, second)
        ]
        path = f"/calendars/groups?locationId={tenant.location_id}"
        targets = list(itertools.islice(itertools.cycle(clients), CALLS))
        try:
            wait_for_a_fresh_window()
            with ThreadPoolExecutor(max_workers=16) as pool:
                answers = list(pool.map(lambda client: client.get(path), targets))
            after = [client.get(path) for client in clients]
        finally:
            for client in clients:
                client.close()

    admitted = [answer for answer in answers if answer.status_code == 200]
    refused = [answer for answer in answers if answer.status_code == 429]
    assert (len(admitted), len(refused)) == (100, 50)
    # Each count was handed out once, whichever process answered.
    assert sorted(int(a.headers["x-ratelimit-remaining"]) for a in admitted) == list(range(100))
    assert sorted(int(a.headers["x-ratelimit-daily-remaining"]) for a in admitted) == list(
        range(199_900, 200_000)
    )
    for answer in admitted:
        assert answer.headers["x-ratelimit-max"] == "100"
        assert answer.headers["x-ratelimit-interval-milliseconds"] == "60000"
        assert "retry-after" not in answer.headers
    # Both processes answered: neither could have refused anything on its own counts (75 each).
    by_server = {str(answer.url).rsplit("/calendars", 1)[0] for answer in admitted}
    assert by_server == {first.base_url, second.base_url}
    for answer in [*refused, *after]:
        assert answer.status_code == 429
        assert answer.json() == {
            "statusCode": 429,
            "message": "Too many requests: this token may make 100 requests per 60 seconds",
            "error": "Too Many Requests",
        }
        assert answer.headers["x-ratelimit-remaining"] == "0"
        assert answer.headers["x-ratelimit-daily-remaining"] == "199900"
        assert 1 <= int(answer.headers["retry-after"]) <= 60
