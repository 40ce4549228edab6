"""Making an appointment live again is a booking (PRODUCT §5): a cancelled or invalid
appointment set back to a live status goes through the same check, locks and assignment
as a new booking, so a slot sold meanwhile is never sold twice."""

import pytest

from api.slot_helpers import free, make_calendar, ms, times
from api.test_appointments import NINE, TAKEN, booked

pytestmark = pytest.mark.usefixtures("before_march")


def set_status(tenant, event_id, status, **fields):
    return tenant.put(
        f"/calendars/events/appointments/{event_id}",
        json={"appointmentStatus": status, **fields},
    )


def live_events(tenant, calendar_id):
    found = tenant.get(
        "/calendars/events",
        params={
            "locationId": tenant.location_id,
            "calendarId": calendar_id,
            "startTime": ms("2026-03-02T00:00:00-05:00"),
            "endTime": ms("2026-03-03T00:00:00-05:00"),
        },
    ).json()["events"]
    return [event for event in found if event["appointmentStatus"] not in ("cancelled", "invalid")]


@pytest.mark.parametrize("freeing", ["cancelled", "invalid"])
@pytest.mark.parametrize("live", ["confirmed", "new", "showed", "noshow"])
def test_a_freed_slot_sold_again_cannot_be_taken_back(ny, freeing, live):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))
    first = booked(ny, calendar_id)
    assert set_status(ny, first["id"], freeing).status_code == 200
    second = booked(ny, calendar_id, contactId="contact-2")

    again = set_status(ny, first["id"], live)

    assert again.status_code == 400
    assert again.json() == TAKEN
    read = ny.get(f"/calendars/events/appointments/{first['id']}").json()["event"]
    assert read["appointmentStatus"] == freeing  # nothing written
    assert [event["id"] for event in live_events(ny, calendar_id)] == [second["id"]]


def test_a_freed_slot_still_free_can_be_confirmed_again_and_is_taken(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))
    first = booked(ny, calendar_id)
    set_status(ny, first["id"], "cancelled")
    assert times(free(ny, calendar_id)) == ["09:00", "09:30"]

    again = set_status(ny, first["id"], "confirmed")

    assert again.status_code == 200, again.text
    assert again.json()["appointmentStatus"] == "confirmed"
    assert times(free(ny, calendar_id)) == ["09:30"]


def test_a_no_show_keeps_its_time(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))
    first = booked(ny, calendar_id)
    set_status(ny, first["id"], "noshow")

    refused = ny.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": ny.location_id,
            "contactId": "contact-2",
            "startTime": NINE,
        },
    )
    back = set_status(ny, first["id"], "confirmed")

    assert refused.json() == TAKEN
    assert back.status_code == 200, back.text


def test_taking_the_time_back_past_the_booking_rules_needs_the_explicit_override(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))
    first = booked(ny, calendar_id)
    set_status(ny, first["id"], "cancelled")
    booked(ny, calendar_id, contactId="contact-2")

    forced = set_status(ny, first["id"], "confirmed", ignoreFreeSlotValidation=True)

    assert forced.status_code == 200, forced.text
    assert len(live_events(ny, calendar_id)) == 2


def test_a_round_robin_appointment_comes_back_with_its_own_member_or_not_at_all(ny):
    calendar_id = make_calendar(
        ny, "round_robin", members=("ann", "bob"), hours=(("09:00", "10:00"),)
    )
    first = booked(ny, calendar_id)
    holder = first["assignedUserId"]
    set_status(ny, first["id"], "cancelled")
    booked(ny, calendar_id, contactId="contact-2", assignedUserId=holder)

    again = set_status(ny, first["id"], "confirmed")

    # The client's appointment was with that member: it is not silently handed to another.
    assert again.json() == TAKEN
    assert times(free(ny, calendar_id)) == ["09:00", "09:30"]  # the other member is still free


def test_an_event_calendar_at_capacity_refuses_a_revived_appointment(ny):
    calendar_id = make_calendar(ny, "event", hours=(("09:00", "10:00"),), appoinmentPerSlot=2)
    first = booked(ny, calendar_id)
    set_status(ny, first["id"], "cancelled")
    booked(ny, calendar_id, contactId="contact-2")
    booked(ny, calendar_id, contactId="contact-3")

    again = set_status(ny, first["id"], "confirmed")

    assert again.json() == TAKEN
    assert len(live_events(ny, calendar_id)) == 2


def test_a_cancelled_occurrence_of_a_series_cannot_take_back_its_sold_slot(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "12:00"),), enableRecurring=True)
    master = booked(
        ny, calendar_id, rrule="RRULE:FREQ=WEEKLY;COUNT=3", ignoreFreeSlotValidation=True
    )
    second_week = "2026-03-09T09:00:00-04:00"
    occurrence_id = f"{master['id']}_{ms(second_week)}_1800"
    cancelled = set_status(ny, occurrence_id, "cancelled")
    assert cancelled.status_code == 200, cancelled.text
    sold = booked(ny, calendar_id, start=second_week, contactId="contact-2")

    again = set_status(ny, occurrence_id, "confirmed")

    assert again.json() == TAKEN
    read = ny.get(f"/calendars/events/appointments/{occurrence_id}").json()["event"]
    assert read["appointmentStatus"] == "cancelled"
    assert sold["startTime"] == second_week
