"""Rate limits as HighLevel applies them (http/rate_limits.py): the headers of every counted
answer, the 429, what is counted and what is not, limits off. Each test builds an app of its own
with limits on (the suite's shared app has them off) and a clock of its own for the windows."""

import os
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from opencalendars.app import create_app
from opencalendars.http import rate_limits
from opencalendars.http.rate_limits import DEFAULT_RATE_LIMITS, RateLimits
from opencalendars.http.redis_pipe import CLIENT_NAME
from opencalendars.settings import Settings
from support.api import ADMIN_HEADERS, ADMIN_KEY, Tenant, create_tenant
from support.redis_server import REDIS_URL, redis_or_skip

RATE_HEADERS = (
    "x-ratelimit-max",
    "x-ratelimit-interval-milliseconds",
    "x-ratelimit-remaining",
    "x-ratelimit-limit-daily",
    "x-ratelimit-daily-remaining",
    "x-ratelimit-daily-reset",
)
# 3.25 s into a 10-second window (windows start at :00, :10, ... of each minute).
NOON = int(datetime(2030, 1, 1, 12, 0, 3, 250_000, tzinfo=UTC).timestamp() * 1000)
NEXT_MIDNIGHT = int(datetime(2030, 1, 2, tzinfo=UTC).timestamp() * 1000)


class Clock:
    def __init__(self, now_ms: int):
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fixed = Clock(NOON)
    monkeypatch.setattr(rate_limits, "wall_clock_ms", fixed)
    return fixed


@pytest.fixture
def limited(database_url):
    """`limited(limits)`: a client of an app of its own with those limits (None: off)."""
    apps = []

    def make(limits: RateLimits | None = DEFAULT_RATE_LIMITS, **settings) -> TestClient:
        app = create_app(
            Settings(database_url=database_url, admin_key=ADMIN_KEY, rate_limits=limits, **settings)
        )
        client = TestClient(app)
        client.__enter__()
        apps.append((app, client))
        return client

    yield make
    for app, client in apps:
        client.__exit__(None, None, None)
        if app.state.rate_limiter is not None:
            app.state.rate_limiter.close()
        app.state.db.dispose()


def groups(tenant: Tenant, **kwargs):
    return tenant.get(f"/calendars/groups?locationId={tenant.location_id}", **kwargs)


def limit_headers(response) -> dict[str, str]:
    return {name: response.headers[name] for name in RATE_HEADERS if name in response.headers}


def expected(remaining: int, daily_remaining: int, limits=DEFAULT_RATE_LIMITS) -> dict[str, str]:
    return {
        "x-ratelimit-max": str(limits.burst),
        "x-ratelimit-interval-milliseconds": str(limits.interval_ms),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-limit-daily": str(limits.daily),
        "x-ratelimit-daily-remaining": str(daily_remaining),
        "x-ratelimit-daily-reset": str(NEXT_MIDNIGHT),
    }


def test_every_counted_answer_carries_highlevels_headers(limited, clock):
    tenant = create_tenant(limited())

    first = groups(tenant)
    second = groups(tenant)

    assert first.status_code == 200
    assert limit_headers(first) == {
        "x-ratelimit-max": "100",
        "x-ratelimit-interval-milliseconds": "10000",
        "x-ratelimit-remaining": "99",
        "x-ratelimit-limit-daily": "200000",
        "x-ratelimit-daily-remaining": "199999",
        "x-ratelimit-daily-reset": "1893542400000",  # 2030-01-02T00:00:00Z
    }
    assert "retry-after" not in first.headers
    assert limit_headers(second) == expected(98, 199998)


def test_past_the_burst_limit_the_request_is_refused_with_429(limited, clock):
    tenant = create_tenant(limited())
    admitted = [groups(tenant) for _ in range(100)]

    refused = tenant.post(
        "/calendars/groups",
        json={"locationId": tenant.location_id, "name": "Late", "description": "", "slug": "late"},
    )

    assert [response.status_code for response in admitted] == [200] * 100
    assert [int(r.headers["x-ratelimit-remaining"]) for r in admitted] == list(range(99, -1, -1))
    assert refused.status_code == 429
    assert refused.json() == {
        "statusCode": 429,
        "message": "Too many requests: this token may make 100 requests per 10 seconds",
        "error": "Too Many Requests",
    }
    # The window ends at 12:00:10.000, 6.75 s away: rounded up.
    assert refused.headers["retry-after"] == "7"
    assert limit_headers(refused) == expected(0, 199900)

    clock.now_ms = NOON + 6_750  # the next window
    after = groups(tenant)
    assert after.status_code == 200
    assert "retry-after" not in after.headers
    # The refused request was not processed and cost the day nothing.
    assert after.json()["groups"] == []
    assert limit_headers(after) == expected(99, 199899)


def test_past_the_daily_limit_429_until_the_next_utc_midnight(limited, clock):
    limits = RateLimits(burst=100, interval_ms=10_000, daily=3)
    tenant = create_tenant(limited(limits))
    admitted = [groups(tenant) for _ in range(3)]

    refused = groups(tenant)

    assert [response.status_code for response in admitted] == [200, 200, 200]
    assert admitted[-1].headers["x-ratelimit-daily-remaining"] == "0"
    assert refused.status_code == 429
    assert refused.json() == {
        "statusCode": 429,
        "message": "Too many requests: this token may make 3 requests per day (UTC)",
        "error": "Too Many Requests",
    }
    assert refused.headers["retry-after"] == str(-(-(NEXT_MIDNIGHT - NOON) // 1000))
    # Refused by the day, it still took one from its window.
    assert limit_headers(refused) == expected(96, 0, limits)

    clock.now_ms = NEXT_MIDNIGHT
    next_day = groups(tenant)
    assert next_day.status_code == 200
    assert next_day.headers["x-ratelimit-daily-remaining"] == "2"
    assert next_day.headers["x-ratelimit-daily-reset"] == str(NEXT_MIDNIGHT + 86_400_000)


def test_a_request_refused_by_its_window_costs_the_day_nothing(limited, clock):
    limits = RateLimits(burst=2, interval_ms=1_000, daily=5)
    tenant = create_tenant(limited(limits))

    first_window = [groups(tenant).status_code for _ in range(4)]
    clock.now_ms += 1_000
    second_window = [groups(tenant).status_code for _ in range(3)]
    clock.now_ms += 1_000
    third_window = [groups(tenant) for _ in range(2)]

    assert first_window == [200, 200, 429, 429]
    assert second_window == [200, 200, 429]
    # 4 admitted so far: the day has one left.
    assert [response.status_code for response in third_window] == [200, 429]
    assert third_window[1].json()["message"].endswith("5 requests per day (UTC)")


def test_refusals_of_a_counted_request_carry_the_headers_too(limited, clock):
    tenant = create_tenant(limited())

    unknown_calendar = tenant.get("/calendars/abcdefghij0123456789")
    no_version = tenant.client.get(
        f"/calendars/groups?locationId={tenant.location_id}",
        headers={"Authorization": f"Bearer {tenant.token}"},
    )

    assert unknown_calendar.status_code == 404
    assert limit_headers(unknown_calendar) == expected(99, 199999)
    assert no_version.status_code == 400
    assert limit_headers(no_version) == expected(98, 199998)


def test_what_is_not_counted_carries_no_headers(limited, clock):
    client = limited()
    tenant = create_tenant(client)
    path = f"/calendars/groups?locationId={tenant.location_id}"

    not_counted = [
        client.get(path, headers={"Version": "v3"}),  # no token: 401
        client.get(path, headers={"Version": "v3", "Authorization": "Bearer pit-unknown"}),
        client.get("/healthz"),
        client.get("/admin/locations", headers=ADMIN_HEADERS),
        client.get("/webhooks/public-key"),
    ]

    assert [response.status_code for response in not_counted] == [401, 401, 200, 200, 200]
    for response in not_counted:
        assert limit_headers(response) == {}
        assert "retry-after" not in response.headers
    assert limit_headers(groups(tenant)) == expected(99, 199999)


def test_each_token_counts_for_itself(limited, clock):
    client = limited(RateLimits(burst=2, interval_ms=10_000, daily=100))
    tenant = create_tenant(client)
    second = client.post(
        "/admin/tokens",
        json={"locationId": tenant.location_id, "name": "second app"},
        headers=ADMIN_HEADERS,
    )
    assert second.status_code == 201, second.text
    other_app = Tenant(client, tenant.location_id, second.json()["token"], second.json()["id"])

    first_app = [groups(tenant).status_code for _ in range(3)]

    assert first_app == [200, 200, 429]
    assert groups(other_app).status_code == 200
    assert groups(other_app).headers["x-ratelimit-remaining"] == "0"


def test_limits_off_no_header_and_no_429(limited, client):
    tenant = create_tenant(limited(None))
    answers = [groups(tenant) for _ in range(150)]

    assert [response.status_code for response in answers] == [200] * 150
    for response in answers:
        assert not any(name.lower().startswith("x-ratelimit") for name in response.headers)
        assert "retry-after" not in response.headers
    # The suite's shared app runs with limits off too (tests/conftest.py).
    shared = create_tenant(client)
    assert limit_headers(groups(shared)) == {}


def test_windows_follow_real_time_not_the_frozen_admin_clock(limited, clock):
    client = limited(RateLimits(burst=1, interval_ms=10_000, daily=100))
    tenant = create_tenant(client)
    frozen = client.put("/admin/clock", json={"now": "2020-06-01T00:00:00Z"}, headers=ADMIN_HEADERS)
    assert frozen.status_code == 200, frozen.text
    try:
        assert groups(tenant).status_code == 200
        assert groups(tenant).status_code == 429
        clock.now_ms += 10_000
        answer = groups(tenant)
    finally:
        client.delete("/admin/clock", headers=ADMIN_HEADERS)

    assert answer.status_code == 200
    assert answer.headers["x-ratelimit-daily-reset"] == str(NEXT_MIDNIGHT)


def test_counters_that_cannot_be_reached_limit_nothing(limited, clock, caplog):
    # Nothing listens on port 1: every count fails, and requests go on without limits.
    client = limited(
        RateLimits(burst=1, interval_ms=10_000, daily=1), redis_url="redis://127.0.0.1:1"
    )
    tenant = create_tenant(client)

    answers = [groups(tenant) for _ in range(3)]

    assert [response.status_code for response in answers] == [200, 200, 200]
    assert all(limit_headers(response) == {} for response in answers)
    assert "rate limit counters unavailable" in caplog.text


def test_redis_counts_go_on_after_the_connection_is_lost(limited, clock):
    redis = redis_or_skip()
    client = limited(RateLimits(burst=5, interval_ms=60_000, daily=100), redis_url=REDIS_URL)
    tenant = create_tenant(client)
    assert groups(tenant).headers["x-ratelimit-remaining"] == "4"

    ours = f"{CLIENT_NAME}-{os.getpid()}"
    killed = [c["id"] for c in redis.client_list() if c["name"] == ours]
    for connection_id in killed:
        redis.client_kill_filter(_id=connection_id)
    assert killed
    answers = [groups(tenant) for _ in range(3)]

    assert [response.status_code for response in answers] == [200, 200, 200]
    # The request that met the dead connection, if any, went on uncounted (no headers); the next
    # opened a new connection, and the counts in Redis go on where they were.
    counted = [response for response in answers if limit_headers(response)]
    assert counted[-1] is answers[-1]
    remaining = [int(response.headers["x-ratelimit-remaining"]) for response in counted]
    assert remaining == list(range(4 - len(counted), 4))[::-1]


def test_redis_that_forgot_the_script_is_sent_it_again(limited, clock):
    redis = redis_or_skip()
    client = limited(RateLimits(burst=5, interval_ms=60_000, daily=100), redis_url=REDIS_URL)
    tenant = create_tenant(client)
    assert groups(tenant).headers["x-ratelimit-remaining"] == "4"

    redis.script_flush()
    answer = groups(tenant)

    assert answer.status_code == 200
    assert answer.headers["x-ratelimit-remaining"] == "3"


def test_postgresql_counts_that_fail_leave_the_token_check_to_the_pool(
    limited, clock, caplog, database_url
):
    """On PostgreSQL the token is found by the statement that counts it; when that statement
    fails, the token is found the usual way and the request goes on uncounted."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL counts in the token's lookup; SQLite counts in a shared file")
    client = limited(RateLimits(burst=1, interval_ms=10_000, daily=1))
    tenant = create_tenant(client)
    counters = client.app.state.rate_limiter.counters
    # The counting statement fails (as it would with its table gone); the lookup still works.
    counters._find_and_take = "SELECT * FROM rate_limit_counters_gone"

    answers = [groups(tenant) for _ in range(3)]
    unknown = groups(tenant, headers={"Authorization": "Bearer not-a-token"})

    assert [response.status_code for response in answers] == [200, 200, 200]
    assert all(limit_headers(response) == {} for response in answers)
    assert unknown.status_code == 401
    assert "rate limit counters unavailable" in caplog.text
