"""A booking's first round guessed (db/loop_writes.py). On PostgreSQL, a booking of a calendar
booked before sends its checks with its first reads (the calendar, its location's longest
buffer, the clock), in one round trip, on the guess that they read what they read last time.
When they read otherwise (the calendar edited, the clock moved), the guess is rolled back and
the booking runs again on what was read: it decides as if it had never guessed."""

import pytest

from api.slot_helpers import make_calendar
from opencalendars.db import loop_writes
from support.round_trips import count_round_trips

FIRST_ROUND = 3  # the calendar, the location's longest buffer, the clock
ROLLBACK = loop_writes.ROLLBACK
COMMIT = loop_writes.COMMIT

pytestmark = pytest.mark.usefixtures("before_march")


@pytest.fixture
def round_trips(app, monkeypatch) -> list:
    if app.state.db.is_sqlite:
        pytest.skip("PostgreSQL's round trips: SQLite runs a plan in a worker thread, locally")
    return count_round_trips(monkeypatch)


def book(tenant, calendar_id: str, at: str, **fields):
    body = {
        "calendarId": calendar_id,
        "locationId": tenant.location_id,
        "contactId": f"contact-{at}",
        "startTime": f"2026-03-02T{at}:00-05:00",
        **fields,
    }
    return tenant.post("/calendars/events/appointments", json=body)


def booked(tenant, calendar_id: str, at: str, **fields) -> dict:
    response = book(tenant, calendar_id, at, **fields)
    assert response.status_code == 200, response.text
    return response.json()


def team_calendar(tenant, **settings) -> str:
    return make_calendar(
        tenant, "round_robin", members=("ann", "bob"), hours=(("09:00", "12:00"),), **settings
    )


def test_a_calendar_booked_before_is_booked_in_two_round_trips(ny, round_trips):
    calendar_id = team_calendar(ny)

    booked(ny, calendar_id, "09:00")
    first = list(round_trips)
    round_trips.clear()
    booked(ny, calendar_id, "10:00")

    # Its first reads, then its checks, then its writes with the COMMIT; the next booking
    # sends the first two together.
    assert first[0] == FIRST_ROUND and first[2] == COMMIT and len(first) == 3
    assert round_trips == [first[0] + first[1], COMMIT]


def test_a_booking_after_its_team_changed_is_checked_against_the_team_as_it_is(ny, round_trips):
    calendar_id = team_calendar(ny)
    booked(ny, calendar_id, "09:00")  # read with ann and bob
    edited = ny.put(f"/calendars/{calendar_id}", json={"teamMembers": [{"userId": "ann"}]})
    assert edited.status_code == 200, edited.text
    round_trips.clear()

    refused = book(ny, calendar_id, "10:00", assignedUserId="bob")

    assert refused.status_code == 400
    assert refused.json()["message"] == ["assignedUserId must be a team member of this calendar"]
    # Bob's lock and checks went out on the guess, the calendar read beside them had one member:
    # rolled back, read again, refused.
    guessed, *rest = round_trips
    assert guessed > FIRST_ROUND and rest == [ROLLBACK, FIRST_ROUND, ROLLBACK]
    assert booked(ny, calendar_id, "10:00")["assignedUserId"] == "ann"


def test_a_booking_after_its_slot_duration_changed_lasts_the_new_duration(ny, round_trips):
    calendar_id = team_calendar(ny, slotDuration=30, slotInterval=30)
    assert booked(ny, calendar_id, "09:00")["endTime"] == "2026-03-02T09:30:00-05:00"
    edited = ny.put(f"/calendars/{calendar_id}", json={"slotDuration": 60, "slotInterval": 60})
    assert edited.status_code == 200, edited.text
    round_trips.clear()

    later = booked(ny, calendar_id, "10:00")

    assert later["endTime"] == "2026-03-02T11:00:00-05:00"
    assert round_trips[1:3] == [ROLLBACK, FIRST_ROUND]


def test_a_slot_the_clock_moved_past_is_refused_though_the_guess_had_it_ahead(
    ny, round_trips, frozen_clock
):
    calendar_id = team_calendar(ny)
    booked(ny, calendar_id, "09:00")  # the clock read: Friday before
    frozen_clock("2026-03-02T15:30:00Z")  # Monday 10:30 in New York
    round_trips.clear()

    # Read with Friday's clock 10:00 was still to come; read with Monday's it has passed.
    past = book(ny, calendar_id, "10:00")

    assert past.status_code == 400, past.text
    assert past.json()["message"] == "The slot you have selected is no longer available."
    assert round_trips[1:3] == [ROLLBACK, FIRST_ROUND]
    assert booked(ny, calendar_id, "11:00")["assignedUserId"] in ("ann", "bob")
