"""A location has one default service location however its first ones are created or its
default deleted: concurrent requests through 4 real server processes on one database (the
partial unique index and the location lock of `services/locations.py`)."""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from support.api import create_tenant

PLACES = "/calendars/services/locations"
CREATES = 8
ROUNDS = 6


def at_once(servers, tenant, requests: list[tuple[str, str, dict | None]]) -> list[httpx.Response]:
    """Send every `(method, path, body)` at the same moment, spread over all the servers."""
    clients = [httpx.Client(base_url=url, headers=tenant.headers(), timeout=60) for url in servers]
    rotation = itertools.cycle(clients)
    jobs = [(next(rotation), *request) for request in requests]
    start = threading.Barrier(len(jobs))

    def send(job) -> httpx.Response:
        client, method, path, body = job
        start.wait()
        return client.request(method, path, json=body)

    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            return list(pool.map(send, jobs))
    finally:
        for client in clients:
            client.close()


def place(tenant, n: int) -> tuple[str, str, dict]:
    return "POST", PLACES, {"locationId": tenant.location_id, "name": f"P{n}", "slug": f"p{n}"}


def live_places(tenant) -> list[dict]:
    response = tenant.get(PLACES, params={"locationId": tenant.location_id})
    assert response.status_code == 200, response.text
    return response.json()["serviceLocations"]


@pytest.fixture
def new_tenant(servers):
    with httpx.Client(base_url=servers[0]) as admin:
        yield lambda: create_tenant(admin)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_first_creates_make_one_default(servers, new_tenant, round_):
    tenant = new_tenant()

    responses = at_once(servers, tenant, [place(tenant, n) for n in range(CREATES)])

    assert [response.status_code for response in responses] == [201] * CREATES, [
        response.text for response in responses
    ]
    assert sum(response.json()["isDefault"] for response in responses) == 1
    stored = live_places(tenant)
    assert len(stored) == CREATES
    assert [p["isDefault"] for p in stored].count(True) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_deleting_the_default_during_creates_and_deletes_leaves_one_default(
    servers, new_tenant, round_
):
    tenant = new_tenant()
    first, second, _ = (tenant.post(PLACES, json=place(tenant, n)[2]).json() for n in range(3))
    assert first["isDefault"]

    responses = at_once(
        servers,
        tenant,
        [
            ("DELETE", f"{PLACES}/{first['id']}", None),
            ("DELETE", f"{PLACES}/{second['id']}", None),
            *(place(tenant, n) for n in range(3, 3 + CREATES)),
        ],
    )

    assert [response.status_code for response in responses] == [200, 200] + [201] * CREATES
    stored = live_places(tenant)
    assert len(stored) == 1 + CREATES
    assert [p["isDefault"] for p in stored].count(True) == 1
