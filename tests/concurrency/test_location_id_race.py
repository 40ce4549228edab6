"""An operator's location id is taken once, however many creates race for it: the same id sent at
the same moment through 4 real server processes on one database answers one 201 and 409s, never
a 500 (the primary key decides, admin/service.py)."""

import time

import httpx
import pytest

from concurrency.races import sent_at_once
from support.api import ADMIN_HEADERS

RACERS = 8
ROUNDS = 3


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_locations_raced_with_one_id_are_one_201_and_409s(servers, round_):
    location_id = f"raced-{round_}-{time.monotonic_ns()}"
    body = {"name": "Raced", "timezone": "UTC", "id": location_id}
    answers = sent_at_once(
        servers,
        lambda client: client.post("/admin/locations", json=body, headers=ADMIN_HEADERS),
        RACERS,
    )
    with httpx.Client(base_url=servers[0], timeout=60) as client:
        listed = client.get("/admin/locations", headers=ADMIN_HEADERS).json()["locations"]

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (RACERS - 1), [answer.text for answer in answers]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["message"] == f"Location {location_id} already exists"
    assert [location["id"] for location in listed].count(location_id) == 1
