"""Appointments: validated booking, assignment, edit, delete, events list (PRODUCT §4.4, §5)."""

import re

import pytest

from api.slot_helpers import ZONE, free, make_calendar, ms, times
from opencalendars.busy import people
from support.api import create_tenant

ID = re.compile(r"^[A-Za-z0-9]{20}$")
TAKEN = {
    "statusCode": 400,
    "message": "The slot you have selected is no longer available.",
    "error": "Bad Request",
}
NINE = "2026-03-02T09:00:00-05:00"


pytestmark = pytest.mark.usefixtures("before_march")


def book(tenant, calendar_id, start=NINE, **fields):
    body = {
        "calendarId": calendar_id,
        "locationId": tenant.location_id,
        "contactId": "contact-1",
        "startTime": start,
        **fields,
    }
    return tenant.post("/calendars/events/appointments", json=body)


def booked(tenant, calendar_id, start=NINE, **fields):
    response = book(tenant, calendar_id, start, **fields)
    assert response.status_code == 200, response.text
    return response.json()


def test_booking_a_free_slot(ny, frozen_clock):
    calendar_id = make_calendar(ny, hours=(("09:00", "11:00"),))

    response = book(ny, calendar_id, title="Intro", address="Main St 1")

    assert response.status_code == 200
    appointment = response.json()
    assert ID.match(appointment["id"])
    assert appointment == {
        "calendarId": calendar_id,
        "locationId": ny.location_id,
        "contactId": "contact-1",
        "startTime": "2026-03-02T09:00:00-05:00",
        "endTime": "2026-03-02T09:30:00-05:00",
        "title": "Intro",
        "meetingLocationType": "custom",
        "appointmentStatus": "confirmed",
        "assignedUserId": "ann",
        "address": "Main St 1",
        "isRecurring": False,
        "dateAdded": "2026-02-27T12:00:00.000Z",
        "dateUpdated": "2026-02-27T12:00:00.000Z",
        "id": appointment["id"],
        # What the live service sends beside the spec's fields (docs/fidelity.md).
        "status": "booked",
        "appoinmentStatus": "confirmed",
        "createdBy": {"source": "third_party", "userId": None},
    }
    assert times(free(ny, calendar_id)) == ["09:30", "10:00", "10:30"]


def test_an_offered_then_taken_slot_is_refused(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "11:00"),))
    booked(ny, calendar_id)

    response = book(ny, calendar_id, contactId="contact-2")

    assert response.status_code == 400
    assert response.json() == TAKEN


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-02T09:10:00-05:00", None),  # not on the grid
        ("2026-03-02T08:00:00-05:00", None),  # before opening
        ("2026-03-03T09:00:00-05:00", None),  # a closed day
        ("2026-03-02T09:30:00-05:00", "2026-03-02T10:30:00-05:00"),  # runs into a booking
    ],
)
def test_times_the_engine_does_not_offer_are_refused(ny, start, end):
    calendar_id = make_calendar(ny, hours=(("09:00", "11:00"),))
    booked(ny, calendar_id, "2026-03-02T10:00:00-05:00")

    response = book(ny, calendar_id, start, **({"endTime": end} if end else {}))

    assert response.json() == TAKEN


def test_status_follows_auto_confirm_unless_given(ny):
    manual = make_calendar(ny, hours=(("09:00", "11:00"),), autoConfirm=False)

    assert booked(ny, manual)["appointmentStatus"] == "new"
    given = booked(ny, manual, "2026-03-02T09:30:00-05:00", appointmentStatus="confirmed")
    assert given["appointmentStatus"] == "confirmed"


def test_required_fields_and_times(ny):
    calendar_id = make_calendar(ny)

    missing = ny.post("/calendars/events/appointments", json={})
    reversed_times = book(ny, calendar_id, endTime="2026-03-02T08:00:00-05:00")
    unknown = book(ny, "q" * 20)

    assert missing.json()["message"] == [
        "calendarId should not be empty",
        "startTime should not be empty",
        "locationId should not be empty",
        "contactId should not be empty",
    ]
    assert reversed_times.json()["message"] == ["endTime must be after startTime"]
    assert unknown.status_code == 404


def test_ignore_free_slot_validation_books_any_time(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "11:00"),))

    response = book(
        ny, calendar_id, "2026-03-02T22:15:00-05:00", endTime="2026-03-02T23:00:00-05:00",
        ignoreFreeSlotValidation=True,
    )  # fmt: skip

    assert response.status_code == 200
    assert response.json()["assignedUserId"] == "ann"


def test_ignore_date_range_skips_only_notice_and_window(ny, before_march):
    calendar_id = make_calendar(
        ny, hours=(("09:00", "11:00"),), allowBookingAfter=1, allowBookingAfterUnit="days"
    )
    before_march("2026-03-02T08:00:00-05:00")

    assert book(ny, calendar_id).json() == TAKEN
    assert book(ny, calendar_id, ignoreDateRange=True).status_code == 200
    # Off the grid is still refused.
    assert book(ny, calendar_id, "2026-03-02T09:10:00-05:00", ignoreDateRange=True).json() == TAKEN


def test_an_explicit_assignee_must_be_a_free_member(ny):
    calendar_id = make_calendar(
        ny, "round_robin", members=("ann", "bob"), hours=(("09:00", "10:00"),)
    )
    booked(ny, calendar_id, assignedUserId="bob")

    stranger = book(ny, calendar_id, assignedUserId="eve")
    busy = book(ny, calendar_id, assignedUserId="bob")
    ann = book(ny, calendar_id, assignedUserId="ann")

    assert stranger.json()["message"] == ["assignedUserId must be a team member of this calendar"]
    assert busy.json() == TAKEN
    assert ann.json()["assignedUserId"] == "ann"


def test_round_robin_prefers_priority_then_the_longest_unbooked(ny, before_march):
    calendar_id = make_calendar(
        ny,
        "round_robin",
        hours=(("09:00", "12:00"),),
        teamMembers=[
            {"userId": "cat", "priority": 0.5},
            {"userId": "bob", "priority": 0.5},
            {"userId": "ann", "priority": 0},
            {"userId": "dan", "priority": 1},
        ],
    )
    assigned = []
    for n in range(4):
        before_march(f"2026-02-27T12:0{n}:00Z")
        assigned.append(booked(ny, calendar_id, contactId=f"c{n}")["assignedUserId"])

    # All at 09:00: priority 1 first, then the 0.5s (never booked: lowest userId first), then 0.
    assert assigned == ["dan", "bob", "cat", "ann"]
    assert book(ny, calendar_id, contactId="c5").json() == TAKEN


def test_round_robin_ties_rotate_by_last_booking(ny, before_march):
    calendar_id = make_calendar(
        ny, "round_robin", members=("bob", "ann", "cat"), hours=(("09:00", "12:00"),)
    )
    assigned = []
    for n, start in enumerate(["09:00", "09:00", "09:00", "10:00", "10:00", "11:00"]):
        before_march(f"2026-02-27T12:0{n}:00Z")
        assigned.append(booked(ny, calendar_id, f"2026-03-02T{start}:00-05:00")["assignedUserId"])

    # Never booked first, by lowest userId; then whoever was booked longest ago: at 11:00 all
    # three are free and cat's last booking (12:02) is older than ann's (12:03) and bob's.
    assert assigned == ["ann", "bob", "cat", "ann", "bob", "cat"]


def test_round_robin_checks_members_in_its_order_up_to_the_first_free(
    ny, before_march, monkeypatch
):
    """The engine finds the time of the members round robin would book first, in that order,
    and stops at the first free one: ann is busy at 09:00, bob is free, cat and dan are never
    looked at."""
    calendar_id = make_calendar(
        ny, "round_robin", members=("dan", "cat", "bob", "ann"), hours=(("09:00", "12:00"),)
    )
    other = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    booked(ny, other)  # ann, never booked on the round robin, ranks first and is busy
    checked = []
    real = people.free_slots

    def counted(persons, rules, *args, **kwargs):
        checked.extend(person.key for person in persons)
        return real(persons, rules, *args, **kwargs)

    monkeypatch.setattr(people, "free_slots", counted)

    assert booked(ny, calendar_id)["assignedUserId"] == "bob"
    # ann's start is refused by the grid's check; bob's passes it and the whole span's.
    assert checked == ["ann", "bob", "bob"]


def test_round_robin_equal_distribution_counts_bookings(ny, before_march):
    calendar_id = make_calendar(
        ny,
        "round_robin",
        hours=(("09:00", "12:00"),),
        eventType="RoundRobin_OptimizeForEqualDistribution",
        teamMembers=[{"userId": "ann", "priority": 1}, {"userId": "bob", "priority": 0}],
    )
    before_march("2026-02-27T12:00:00Z")
    first = booked(ny, calendar_id)["assignedUserId"]
    before_march("2026-02-27T12:01:00Z")
    second = booked(ny, calendar_id, "2026-03-02T10:00:00-05:00")["assignedUserId"]

    # ann wins the tie on priority, then bob has fewer bookings despite his lower priority.
    assert (first, second) == ("ann", "bob")


def test_collective_assigns_the_primary_and_lists_everyone(ny):
    calendar_id = make_calendar(
        ny, "collective", members=("ann", "bob"), hours=(("09:00", "10:00"),)
    )
    other = make_calendar(ny, members=("bob",), hours=(("09:00", "10:00"),))

    appointment = booked(ny, calendar_id)
    event = ny.get(f"/calendars/events/appointments/{appointment['id']}").json()["event"]
    booked(ny, other, "2026-03-02T09:30:00-05:00")

    assert appointment["assignedUserId"] == "ann"
    assert event["users"] == ["ann", "bob"]
    assert book(ny, calendar_id, "2026-03-02T09:30:00-05:00").json() == TAKEN
    assert times(free(ny, other)) == []


def test_class_seats_fill_up(ny):
    calendar_id = make_calendar(
        ny, "class_booking", hours=(("09:00", "10:00"),), slotDuration=60, appoinmentPerSlot=2
    )

    first = book(ny, calendar_id, contactId="c1")
    second = book(ny, calendar_id, contactId="c2")
    third = book(ny, calendar_id, contactId="c3")

    assert first.status_code == second.status_code == 200
    assert third.json() == TAKEN


def test_event_calendar_takes_its_capacity_and_assigns_its_first_member(ny):
    calendar_id = make_calendar(
        ny, "event", hours=(("09:00", "10:00"),), appoinmentPerSlot=2,
        teamMembers=[{"userId": "host"}, {"userId": "cohost"}],
    )  # fmt: skip

    first = booked(ny, calendar_id, contactId="c1")
    booked(ny, calendar_id, contactId="c2")

    assert first["assignedUserId"] == "host"
    assert book(ny, calendar_id, contactId="c3").json() == TAKEN


def test_moving_into_busy_time_fails_and_into_free_time_works(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "11:00"),))
    appointment = booked(ny, calendar_id)
    booked(ny, calendar_id, "2026-03-02T10:00:00-05:00")
    path = f"/calendars/events/appointments/{appointment['id']}"

    into_busy = ny.put(path, json={"startTime": "2026-03-02T10:00:00-05:00"})
    into_free = ny.put(path, json={"startTime": "2026-03-02T10:30:00-05:00"})
    in_place = ny.put(path, json={"startTime": "2026-03-02T10:30:00-05:00", "title": "Moved"})

    assert into_busy.json() == TAKEN
    assert into_free.status_code == 200
    assert (into_free.json()["startTime"], into_free.json()["endTime"]) == (
        "2026-03-02T10:30:00-05:00",
        "2026-03-02T11:00:00-05:00",
    )
    assert in_place.json()["title"] == "Moved"
    assert times(free(ny, calendar_id)) == ["09:00", "09:30"]


def test_cancelling_frees_the_slot(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))
    appointment = booked(ny, calendar_id)

    cancelled = ny.put(
        f"/calendars/events/appointments/{appointment['id']}",
        json={"appointmentStatus": "cancelled"},
    )

    assert cancelled.json()["appointmentStatus"] == "cancelled"
    assert times(free(ny, calendar_id)) == ["09:00", "09:30"]
    assert book(ny, calendar_id).status_code == 200


def test_get_answers_the_event(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))
    appointment = booked(ny, calendar_id, description="Bring papers")

    response = ny.get(f"/calendars/events/appointments/{appointment['id']}")

    event = {
        "id": appointment["id"],
        "address": "",
        "title": "personal calendar",
        "calendarId": calendar_id,
        "locationId": ny.location_id,
        "contactId": "contact-1",
        "groupId": "",
        "appointmentStatus": "confirmed",
        "assignedUserId": "ann",
        "users": [],
        "isRecurring": False,
        "deleted": False,
        "startTime": "2026-03-02T09:00:00-05:00",
        "endTime": "2026-03-02T09:30:00-05:00",
        "dateAdded": "2026-02-27T12:00:00.000Z",
        "dateUpdated": "2026-02-27T12:00:00.000Z",
        "assignedResources": [],
        "createdBy": {"source": "third_party", "userId": None},
        "status": "booked",
        "appoinmentStatus": "confirmed",
        "description": "Bring papers",
    }
    # Clients of the live service read `appointment`; the spec names `event`.
    assert response.json() == {"appointment": event, "event": event}


def test_delete_frees_time_and_hides_the_appointment(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))
    appointment = booked(ny, calendar_id)
    path = f"/calendars/events/appointments/{appointment['id']}"

    deleted = ny.delete(f"/calendars/events/{appointment['id']}")

    # 200, as the live service answers (the spec says 201).
    assert (deleted.status_code, deleted.json()) == (200, {"succeeded": True})
    kept = ny.get(path)
    assert kept.status_code == 200, kept.text
    assert kept.json()["event"]["deleted"] is True
    assert kept.json()["appointment"] == kept.json()["event"]
    assert times(free(ny, calendar_id)) == ["09:00", "09:30"]
    assert (
        ny.get(
            "/calendars/events",
            params={
                "locationId": ny.location_id,
                "calendarId": calendar_id,
                "startTime": ms("2026-03-02T00:00:00-05:00"),
                "endTime": ms("2026-03-03T00:00:00-05:00"),
            },
        ).json()["events"]
        == []
    )
    edited = ny.put(path, json={"title": "Back"})
    assert (edited.status_code, edited.json()["message"]) == (404, "Appointment not found")
    assert (
        ny.delete(f"/calendars/events/{appointment['id']}").json()["message"] == "Event not found"
    )
    assert (
        ny.post(
            f"/calendars/appointments/{appointment['id']}/notes", json={"body": "x"}
        ).status_code
        == 404
    )


def test_meeting_locations_come_from_the_calendar_unless_given(ny):
    calendar_id = make_calendar(
        ny,
        hours=(("09:00", "12:00"),),
        teamMembers=[{"userId": "ann"}],
        locationConfigurations=[
            {"kind": "physical", "location": "Main St 1"},
            {"kind": "inbound_call", "location": "+14455550132"},
        ],
    )

    default = booked(ny, calendar_id)
    chosen = booked(
        ny, calendar_id, "2026-03-02T09:30:00-05:00", meetingLocationId="inbound_call_1"
    )
    given = booked(
        ny,
        calendar_id,
        "2026-03-02T10:00:00-05:00",
        meetingLocationType="zoom",
        overrideLocationConfig=True,
    )
    wrong = book(ny, calendar_id, "2026-03-02T10:30:00-05:00", meetingLocationId="custom_7")

    assert (default["meetingLocationType"], default["address"]) == ("address", "Main St 1")
    assert (chosen["meetingLocationType"], chosen["address"]) == ("phone", "+14455550132")
    assert (given["meetingLocationType"], given["address"]) == ("zoom", "")
    assert wrong.json()["message"] == [
        "meetingLocationId does not name a location of this calendar"
    ]


def test_events_list_filters_orders_and_keeps_cancelled(ny):
    group_id = ny.post(
        "/calendars/groups",
        json={"locationId": ny.location_id, "name": "G", "description": "", "slug": "g"},
    ).json()["group"]["id"]
    first = make_calendar(ny, hours=(("09:00", "12:00"),), groupId=group_id)
    second = make_calendar(ny, members=("bob",), hours=(("09:00", "12:00"),))
    late = booked(ny, first, "2026-03-02T11:00:00-05:00")
    early = booked(ny, first)
    cancelled = booked(ny, second, "2026-03-02T10:00:00-05:00")
    ny.put(
        f"/calendars/events/appointments/{cancelled['id']}", json={"appointmentStatus": "cancelled"}
    )
    gone = booked(ny, second, "2026-03-02T09:00:00-05:00")
    ny.delete(f"/calendars/events/{gone['id']}")

    def listed(**filters):
        params = {
            "locationId": ny.location_id,
            "startTime": ms("2026-03-02T00:00:00-05:00"),
            "endTime": ms("2026-03-03T00:00:00-05:00"),
            **filters,
        }
        response = ny.get("/calendars/events", params=params)
        assert response.status_code == 200, response.text
        return [(e["id"], e["appointmentStatus"]) for e in response.json()["events"]]

    assert listed(calendarId=first) == [(early["id"], "confirmed"), (late["id"], "confirmed")]
    assert listed(groupId=group_id) == listed(calendarId=first)
    assert listed(userId="bob") == [(cancelled["id"], "cancelled")]
    assert listed(calendarId=first, userId="bob") == [
        (early["id"], "confirmed"),
        (cancelled["id"], "cancelled"),
        (late["id"], "confirmed"),
    ]
    no_filter = ny.get(
        "/calendars/events", params={"locationId": ny.location_id, "startTime": 1, "endTime": 2}
    )
    assert no_filter.json()["message"] == ["one of calendarId, userId or groupId is required"]


def test_another_locations_appointment_looks_unknown(ny, client):
    other = create_tenant(client, timezone=ZONE)
    theirs = booked(other, make_calendar(other))

    for method, path, body in [
        ("GET", f"/calendars/events/appointments/{theirs['id']}", None),
        ("PUT", f"/calendars/events/appointments/{theirs['id']}", {"title": "x"}),
    ]:
        response = ny.request(method, path, json=body)
        assert response.status_code == 404
        assert response.json()["message"] == "Appointment not found"
    assert ny.delete(f"/calendars/events/{theirs['id']}").status_code == 404
    assert book(ny, make_calendar(ny), locationId=other.location_id).status_code == 403
