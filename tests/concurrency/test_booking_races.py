"""No seat is ever sold twice: 200 concurrent bookings of one slot through 4 real server
processes on one database (SQLite or PostgreSQL) succeed exactly `capacity` times."""

import itertools
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from support.api import ADMIN_HEADERS, create_tenant
from support.databases import fresh_database
from support.server import live_server

SERVERS = 4
REQUESTS = 200
SLOT = "2030-01-07T10:00:00-05:00"  # a Monday
TAKEN = "The slot you have selected is no longer available."
ALL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    directory = tmp_path_factory.mktemp("race")
    with fresh_database(directory) as url, ExitStack() as stack:
        # The first server migrates; the others start against the same database.
        running = [stack.enter_context(live_server(url, directory)) for _ in range(SERVERS)]
        yield [server.base_url for server in running]


def calendar_with(tenant, calendar_type, members, **settings):
    team = [{"userId": user} for user in members]
    response = tenant.post(
        "/calendars/",
        json={
            "locationId": tenant.location_id,
            "name": f"race {calendar_type}",
            "calendarType": calendar_type,
            "teamMembers": team,
            **settings,
        },
    )
    assert response.status_code == 200, response.text
    calendar_id = response.json()["calendar"]["id"]
    rules = [
        {"type": "wday", "day": day, "intervals": [{"from": "09:00", "to": "17:00"}]}
        for day in ALL_DAYS
    ]
    for user in members:
        created = tenant.post(
            "/calendars/schedules",
            json={
                "locationId": tenant.location_id,
                "name": "hours",
                "userId": user,
                "timezone": "America/New_York",
                "rules": rules,
                "calendarIds": [calendar_id],
            },
        )
        assert created.status_code == 201, created.text
    return calendar_id


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
