"""An operator's location id is taken once, however many creates race for it: the same id sent at
the same moment through 4 real server processes on one database answers one 201 and 409s, never
a 500 (the primary key decides, admin/service.py)."""

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from support.api import ADMIN_HEADERS

RACERS = 8
ROUNDS = 3


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_locations_raced_with_one_id_are_one_201_and_409s(servers, round_):
    location_id = f"raced-{round_}-{time.monotonic_ns()}"
    clients = [httpx.Client(base_url=url, timeout=60) for url in servers]
    rotation = itertools.cycle(clients)
    jobs = [next(rotation) for _ in range(RACERS)]
    start = threading.Barrier(RACERS)

    def send(client: httpx.Client) -> httpx.Response:
        body = {"name": "Raced", "timezone": "UTC", "id": location_id}
        start.wait()
        return client.post("/admin/locations", json=body, headers=ADMIN_HEADERS)

    try:
        with ThreadPoolExecutor(max_workers=RACERS) as pool:
            answers = list(pool.map(send, jobs))
        listed = clients[0].get("/admin/locations", headers=ADMIN_HEADERS).json()["locations"]
    finally:
        for client in clients:
            client.close()

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (RACERS - 1), [answer.text for answer in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["message"] == f"Location {location_id} already exists"
    assert [location["id"] for location in listed].count(location_id) == 1
