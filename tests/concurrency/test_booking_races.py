"""No seat is ever sold twice: 200 concurrent bookings of one slot through 4 real server
processes on one database (SQLite or PostgreSQL) succeed exactly `capacity` times."""

import itertools
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from concurrency.races import REQUESTS, SLOT, calendar_with
from support.api import ADMIN_HEADERS, create_tenant

TAKEN = "The slot you have selected is no longer available."


def race(servers, tenant, calendar_id):
    """Fire the same booking at every server from many threads at once."""
    clients = [httpx.Client(base_url=url, headers=tenant.headers(), timeout=60) for url in servers]
    rotation = itertools.cycle(clients)
    targets = [next(rotation) for _ in range(REQUESTS)]

    def attempt(args):
        n, client = args
        return client.post(
            "/calendars/events/appointments",
            json={
                "calendarId": calendar_id,
                "locationId": tenant.location_id,
                "contactId": f"contact-{n}",
                "startTime": SLOT,
            },
        )

    try:
        with ThreadPoolExecutor(max_workers=48) as pool:
            return list(pool.map(attempt, enumerate(targets)))
    finally:
        for client in clients:
            client.close()


@pytest.mark.parametrize(
    ("calendar_type", "members", "settings", "capacity"),
    [
        ("personal", ["solo"], {}, 1),
        ("round_robin", ["rr1", "rr2", "rr3", "rr4", "rr5"], {}, 5),
        ("class_booking", ["teacher"], {"appoinmentPerSlot": 10}, 10),
    ],
)
def test_concurrent_bookings_never_exceed_capacity(
    servers, calendar_type, members, settings, capacity
):
    with httpx.Client(base_url=servers[0]) as admin:
        admin.put("/admin/clock", json={"now": "2030-01-01T00:00:00Z"}, headers=ADMIN_HEADERS)
        tenant = create_tenant(admin, timezone="America/New_York")
        tenant.client = admin
        calendar_id = calendar_with(tenant, calendar_type, members, **settings)

        responses = race(servers, tenant, calendar_id)

        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] * capacity + [400] * (REQUESTS - capacity)
        refused = {
            response.json()["message"] for response in responses if response.status_code == 400
        }
        assert refused == {TAKEN}
        events = tenant.get(
            "/calendars/events",
            params={
                "locationId": tenant.location_id,
                "calendarId": calendar_id,
                "startTime": 1_893_974_400_000,  # 2030-01-07T00:00Z
                "endTime": 1_894_060_800_000,
            },
        ).json()["events"]
        assert len(events) == capacity
        holders = [event["assignedUserId"] for event in events]
        if calendar_type == "round_robin":
            assert sorted(holders) == sorted(members)  # one each, never two on one member
        admin.delete("/admin/clock", headers=ADMIN_HEADERS)
