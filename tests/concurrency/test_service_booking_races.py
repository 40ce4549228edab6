"""No staff member is ever booked twice: concurrent service bookings (and appointments) for
one person through 4 real server processes on one database (SQLite or PostgreSQL)."""

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest

from concurrency.races import REQUESTS, SLOT, calendar_with, give_hours
from support.api import ADMIN_HEADERS, create_tenant

ZONE = "America/New_York"
# Starts every 10 minutes from 10:00 to 11:50: 30-minute haircuts with 10 minutes after them
# overlap their neighbours in many ways.
STARTS = [datetime.fromisoformat(SLOT) + timedelta(minutes=10 * n) for n in range(12)]
HAIRCUT_MS = 30 * 60_000
AFTER_MS = 10 * 60_000


@pytest.fixture
def salon(servers):
    """A location with a studio and one hairdresser, Ann, working every day 09:00-17:00."""
    with httpx.Client(base_url=servers[0]) as admin:
        admin.put("/admin/clock", json={"now": "2030-01-01T00:00:00Z"}, headers=ADMIN_HEADERS)
        tenant = create_tenant(admin, timezone=ZONE)
        tenant.client = admin
        place = {
            "locationId": tenant.location_id,
            "name": "Studio",
            "slug": "studio",
            "address": "1 Main St",
        }
        assert tenant.post("/calendars/services/locations", json=place).status_code == 201
        give_hours(tenant, "ann", [])
        service = tenant.post(
            "/calendars/services/catalog",
            json={
                "locationId": tenant.location_id,
                "name": "Haircut",
                "slug": "haircut",
                "staff": [{"id": "ann"}],
                "postBuffer": 10,
            },
        )
        assert service.status_code == 201, service.text
        tenant.haircut = service.json()["service"]["id"]
        yield tenant
        admin.delete("/admin/clock", headers=ADMIN_HEADERS)


def service_booking(tenant, n: int, start: datetime) -> tuple[str, dict]:
    return "/calendars/services/bookings", {
        "locationId": tenant.location_id,
        "contactId": f"contact-{n}",
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(milliseconds=HAIRCUT_MS)).isoformat(),
        "timezone": ZONE,
        "services": [{"id": tenant.haircut}],
    }


def appointment(tenant, n: int, calendar_id: str) -> tuple[str, dict]:
    return "/calendars/events/appointments", {
        "calendarId": calendar_id,
        "locationId": tenant.location_id,
        "contactId": f"contact-{n}",
        "startTime": SLOT,
    }


def fire(servers, tenant, requests: list[tuple[str, dict]]) -> list[httpx.Response]:
    """Send every request at once, spread over all the servers."""
    clients = [httpx.Client(base_url=url, headers=tenant.headers(), timeout=60) for url in servers]
    rotation = itertools.cycle(clients)
    jobs = [(next(rotation), path, body) for path, body in requests]
    try:
        with ThreadPoolExecutor(max_workers=48) as pool:
            return list(pool.map(lambda job: job[0].post(job[1], json=job[2]), jobs))
    finally:
        for client in clients:
            client.close()


def stored_bookings(tenant) -> list[dict]:
    return tenant.get(
        "/calendars/services/bookings",
        params={
            "locationId": tenant.location_id,
            "startTime": 1_893_974_400_000,  # 2030-01-07T00:00Z
            "endTime": 1_894_060_800_000,
        },
    ).json()["bookings"]


def test_concurrent_service_bookings_of_one_staff_member_never_overlap(servers, salon):
    requests = [service_booking(salon, n, STARTS[n % len(STARTS)]) for n in range(REQUESTS)]

    responses = fire(servers, salon, requests)

    assert {response.status_code for response in responses} <= {201, 400}
    accepted = [r.json() for r in responses if r.status_code == 201]
    stored = stored_bookings(salon)
    assert sorted(b["bookingId"] for b in stored) == sorted(b["bookingId"] for b in accepted)
    spans = sorted(
        (datetime.fromisoformat(b["startTime"]), datetime.fromisoformat(b["endTime"]))
        for b in stored
    )
    assert spans, "at least one booking must win"
    for (_, end), (next_start, _) in itertools.pairwise(spans):
        # Each haircut keeps Ann free for 10 minutes after it.
        assert next_start >= end + timedelta(milliseconds=AFTER_MS)
    refused = {r.json()["message"][0].split(" from ")[0] for r in responses if r.status_code == 400}
    assert refused == {"services.0: staff member ann is not available"}


def test_appointments_and_service_bookings_never_share_a_person(servers, salon):
    calendar_id = calendar_with(salon, "personal", ["ann"])
    start = datetime.fromisoformat(SLOT)
    requests = [
        appointment(salon, n, calendar_id) if n % 2 else service_booking(salon, n, start)
        for n in range(REQUESTS)
    ]

    responses = fire(servers, salon, requests)

    statuses = sorted(response.status_code for response in responses)
    winners = [r for r in responses if r.status_code in (200, 201)]
    assert len(winners) == 1, statuses
    assert statuses.count(400) == REQUESTS - 1
    events = salon.get(
        "/calendars/events",
        params={
            "locationId": salon.location_id,
            "calendarId": calendar_id,
            "startTime": 1_893_974_400_000,
            "endTime": 1_894_060_800_000,
        },
    ).json()["events"]
    assert len(events) + len(stored_bookings(salon)) == 1
