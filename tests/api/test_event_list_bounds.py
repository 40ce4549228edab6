"""Both event lists are bounded (issue 19, defect 3): a range of at most 366 days that ends after
it starts, and at most 5,000 events in an answer; a range that holds more is a 400, found
without building more than 5,001 of them."""

import pytest
from sqlalchemy import insert

from api.slot_helpers import count_period_work, make_calendar, ms
from opencalendars.appointments.models import Appointment
from opencalendars.blocked_slots.models import BlockedSlot
from opencalendars.ids import new_id

LISTS = ["/calendars/events", "/calendars/blocked-slots"]
DAY_MS = 86_400_000
START = ms("2026-03-01T00:00:00-05:00")
TOO_MANY = "the range holds more than 5000 events; ask for a shorter range"


@pytest.fixture
def calendar_id(ny):
    return make_calendar(ny, hours=(("09:00", "12:00"),))


pytestmark = pytest.mark.usefixtures("before_march")


def listed(tenant, path, calendar_id, start, end):
    params = {
        "locationId": tenant.location_id,
        "calendarId": calendar_id,
        "startTime": start,
        "endTime": end,
    }
    return tenant.get(path, params=params)


def insert_rows(app, table, rows) -> None:
    """Thousands of rows at once (through the API they would take minutes)."""
    with app.state.db.write() as session:
        session.execute(insert(table), rows)


def appointments(tenant, calendar_id, count, first=START):
    """`count` half-hour appointments, one a minute from `first`."""
    return [
        {
            "id": new_id(),
            "location_id": tenant.location_id,
            "calendar_id": calendar_id,
            "assigned_user_id": "ann",
            "users": [],
            "contact_id": "contact-1",
            "title": "Many",
            "status": "confirmed",
            "start_ms": first + n * 60_000,
            "end_ms": first + n * 60_000 + 1_800_000,
            "deleted": False,
            "details": {},
            "date_added_ms": 0,
            "date_updated_ms": 0,
        }
        for n in range(count)
    ]


def blocks(tenant, calendar_id, count):
    return [
        {
            "id": new_id(),
            "location_id": tenant.location_id,
            "calendar_id": calendar_id,
            "assigned_user_id": None,
            "title": "Busy",
            "start_ms": START + n * 60_000,
            "end_ms": START + n * 60_000 + 1_800_000,
            "deleted": False,
            "date_added_ms": 0,
            "date_updated_ms": 0,
        }
        for n in range(count)
    ]


@pytest.mark.parametrize("path", LISTS)
def test_a_range_must_end_after_it_starts(ny, calendar_id, path):
    empty = listed(ny, path, calendar_id, START, START)
    backwards = listed(ny, path, calendar_id, START, START - 1)

    for response in (empty, backwards):
        assert (response.status_code, response.json()["message"]) == (
            400,
            ["endTime must be after startTime"],
        )


@pytest.mark.parametrize("path", LISTS)
def test_a_range_is_at_most_366_days(ny, calendar_id, path):
    longest = listed(ny, path, calendar_id, START, START + 366 * DAY_MS)
    longer = listed(ny, path, calendar_id, START, START + 366 * DAY_MS + 1)
    decade = listed(ny, path, calendar_id, 0, 10 * 365 * DAY_MS)

    assert (longest.status_code, longest.json()["events"]) == (200, [])
    for response in (longer, decade):
        assert (response.status_code, response.json()["message"]) == (
            400,
            ["the range from startTime to endTime must be at most 366 days"],
        )


def test_the_blocked_slots_list_holds_5000_blocks_at_most(app, ny, calendar_id):
    insert_rows(app, BlockedSlot.__table__, blocks(ny, calendar_id, 5000))
    path = "/calendars/blocked-slots"

    full = listed(ny, path, calendar_id, START, START + 7 * DAY_MS)
    insert_rows(app, BlockedSlot.__table__, blocks(ny, calendar_id, 1))
    over = listed(ny, path, calendar_id, START, START + 7 * DAY_MS)
    shorter = listed(ny, path, calendar_id, START, START + 30 * 60_000)

    assert (full.status_code, len(full.json()["events"])) == (200, 5000)
    assert (over.status_code, over.json()["message"]) == (400, [TOO_MANY])
    assert (shorter.status_code, len(shorter.json()["events"])) == (200, 31)  # 30 and the last one


def test_the_events_list_holds_5000_appointments_at_most(app, ny, calendar_id):
    insert_rows(app, Appointment.__table__, appointments(ny, calendar_id, 5001))
    path = "/calendars/events"

    over = listed(ny, path, calendar_id, START, START + 7 * DAY_MS)
    shorter = listed(ny, path, calendar_id, START, START + 5000 * 60_000)

    assert (over.status_code, over.json()["message"]) == (400, [TOO_MANY])
    assert (shorter.status_code, len(shorter.json()["events"])) == (200, 5000)


def test_occurrences_count_and_the_expansion_stops_past_5000(app, ny, calendar_id, monkeypatch):
    insert_rows(app, Appointment.__table__, appointments(ny, calendar_id, 4990, START - DAY_MS))
    daily = ny.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": ny.location_id,
            "contactId": "contact-1",
            "startTime": "2026-03-02T09:00:00-05:00",
            "rrule": "FREQ=DAILY",
            "ignoreFreeSlotValidation": True,
        },
    )
    assert daily.status_code == 200, daily.text
    path = "/calendars/events"
    ten_days = START + 11 * DAY_MS  # the 4,990 and 10 occurrences, March 2 to 11
    calls = count_period_work(monkeypatch)

    full = listed(ny, path, calendar_id, START - DAY_MS, ten_days)
    calls.clear()
    over = listed(ny, path, calendar_id, START - DAY_MS, START + 365 * DAY_MS)

    assert (full.status_code, len(full.json()["events"])) == (200, 5000)
    assert sum(e.get("masterEventId") == daily.json()["id"] for e in full.json()["events"]) == 10
    assert (over.status_code, over.json()["message"]) == (400, [TOO_MANY])
    # The expansion stopped at the 11th occurrence (the 5,001st event), not 365 days later.
    assert len(calls) == 11


def test_several_series_over_a_year_are_capped_too(ny, calendar_id):
    for hour in range(9, 23):  # 14 daily series: 14 x 366 occurrences in the year from March 1
        created = ny.post(
            "/calendars/events/appointments",
            json={
                "calendarId": calendar_id,
                "locationId": ny.location_id,
                "contactId": "contact-1",
                "startTime": f"2026-03-01T{hour:02d}:00:00-05:00",
                "rrule": "FREQ=DAILY",
                "ignoreFreeSlotValidation": True,
            },
        )
        assert created.status_code == 200, created.text
    path = "/calendars/events"

    year = listed(ny, path, calendar_id, START, START + 366 * DAY_MS)
    part = listed(ny, path, calendar_id, START, START + 357 * DAY_MS)  # 14 x 357 = 4,998

    assert (year.status_code, year.json()["message"]) == (400, [TOO_MANY])
    assert (part.status_code, len(part.json()["events"])) == (200, 4998)
