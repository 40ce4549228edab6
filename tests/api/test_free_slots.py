"""GET /calendars/{calendarId}/free-slots: whole answers for every rule of PRODUCT §4."""

import pytest

from api.slot_helpers import ZONE, free, make_calendar, ms, seed_appointment, times
from support.api import create_tenant

MONDAY = "2026-03-02"


pytestmark = pytest.mark.usefixtures("before_march")


def books_from_half_past_ten(tenant, calendar_id):
    """Monday 10:00 is refused as a booking, 10:30 is booked."""
    body = {"calendarId": calendar_id, "locationId": tenant.location_id, "contactId": "c-1"}
    refused = tenant.post(
        "/calendars/events/appointments", json={**body, "startTime": "2026-03-02T10:00:00-05:00"}
    )
    assert refused.status_code == 400, refused.text
    booked = tenant.post(
        "/calendars/events/appointments", json={**body, "startTime": "2026-03-02T10:30:00-05:00"}
    )
    assert booked.status_code == 200, booked.text


def test_a_personal_calendar_answers_by_local_date(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "11:00"),))

    assert free(ny, calendar_id) == {
        "2026-03-02": {
            "slots": [
                "2026-03-02T09:00:00-05:00",
                "2026-03-02T09:30:00-05:00",
                "2026-03-02T10:00:00-05:00",
                "2026-03-02T10:30:00-05:00",
            ]
        }
    }


def test_days_without_slots_are_left_out_and_dates_ascend(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),), days=("monday", "wednesday"))

    answer = free(ny, calendar_id, start=MONDAY, end="2026-03-08")

    assert list(answer) == ["2026-03-02", "2026-03-04"]
    assert answer["2026-03-04"] == {
        "slots": ["2026-03-04T09:00:00-05:00", "2026-03-04T09:30:00-05:00"]
    }


def test_ranges_in_epoch_milliseconds_are_inclusive(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "11:00"),))

    answer = free(
        ny,
        calendar_id,
        start=str(ms("2026-03-02T09:30:00-05:00")),
        end=str(ms("2026-03-02T10:30:00-05:00")),
    )

    assert times(answer) == ["09:30", "10:00", "10:30"]


def test_slot_duration_differs_from_interval(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "11:00"),), slotDuration=60, slotInterval=20)

    assert times(free(ny, calendar_id)) == ["09:00", "09:20", "09:40", "10:00"]


def test_the_worked_example(app, ny):
    calendar_id = make_calendar(ny, hours=(("12:00", "15:00"),), slotBuffer=10)
    seed_appointment(
        app, ny, calendar_id, "ann", "2026-03-02T13:00:00-05:00", "2026-03-02T13:30:00-05:00"
    )

    assert times(free(ny, calendar_id)) == ["12:00", "14:00", "14:30"]


def test_buffers_of_both_sides_against_another_calendar(app, ny):
    mine = make_calendar(ny, hours=(("09:00", "12:00"),), preBuffer=15)
    theirs = make_calendar(ny, hours=(("09:00", "12:00"),), slotBuffer=30)
    # Ann's 10:00-10:30 on the other calendar occupies 10:00-11:00 with its own buffer.
    seed_appointment(
        app, ny, theirs, "ann", "2026-03-02T10:00:00-05:00", "2026-03-02T10:30:00-05:00"
    )

    # Candidate 09:30 needs 09:15-10:00 (fine); 11:00 needs 10:45-11:30 (taken until 11:00).
    assert times(free(ny, mine)) == ["09:00", "09:30", "11:30"]
    # On its own calendar the 30-minute buffer applies on both sides: 09:30 would run into it.
    assert times(free(ny, theirs)) == ["09:00", "11:00", "11:30"]


@pytest.mark.parametrize(
    ("mine_settings", "theirs_settings", "on"),
    [
        # Ann's Sunday 10:00-10:30 elsewhere keeps her busy until Monday 10:30.
        ({}, {"slotBuffer": 24, "slotBufferUnit": "hours"}, "theirs"),
        # Here, this calendar's day before each slot must be free of her Sunday 10:00-10:30.
        ({"preBuffer": 1440}, {}, "mine"),
        # Both calendars' buffers at once: 12 hours after hers and 12 hours before each slot.
        ({"preBuffer": 12, "preBufferUnit": "hours"}, {"slotBuffer": 720}, "theirs"),
    ],
)
def test_buffers_of_a_day_reach_into_the_next(app, ny, mine_settings, theirs_settings, on):
    mine = make_calendar(ny, hours=(("09:00", "12:00"),), **mine_settings)
    theirs = make_calendar(ny, hours=(("09:00", "12:00"),), **theirs_settings)
    held = {"mine": mine, "theirs": theirs}[on]
    seed_appointment(app, ny, held, "ann", "2026-03-01T10:00:00-05:00", "2026-03-01T10:30:00-05:00")

    assert times(free(ny, mine)) == ["10:30", "11:00", "11:30"]
    books_from_half_past_ten(ny, mine)


def test_another_calendars_buffer_changed_later_reaches_as_far_as_it_now_does(app, ny):
    mine = make_calendar(ny, hours=(("09:00", "12:00"),))
    theirs = make_calendar(ny, hours=(("09:00", "12:00"),))
    seed_appointment(
        app, ny, theirs, "ann", "2026-03-01T10:00:00-05:00", "2026-03-01T10:30:00-05:00"
    )
    every_slot = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert times(free(ny, mine)) == every_slot

    longer = ny.put(f"/calendars/{theirs}", json={"slotBuffer": 24, "slotBufferUnit": "hours"})
    assert longer.status_code == 200, longer.text
    assert times(free(ny, mine)) == ["10:30", "11:00", "11:30"]

    shorter = ny.put(f"/calendars/{theirs}", json={"slotBuffer": None})
    assert shorter.status_code == 200, shorter.text
    assert times(free(ny, mine)) == every_slot


def test_a_member_busy_in_this_and_another_calendar_gets_each_calendars_rules(app, ny):
    mine = make_calendar(ny, hours=(("09:00", "12:00"),), appoinmentPerSlot=2)
    theirs = make_calendar(ny, hours=(("09:00", "12:00"),), slotBuffer=30)
    # Here Ann holds one of two places at 09:00; there 11:00-11:30 with its buffer to 12:00.
    seed_appointment(app, ny, mine, "ann", "2026-03-02T09:00:00-05:00", "2026-03-02T09:30:00-05:00")
    seed_appointment(
        app, ny, theirs, "ann", "2026-03-02T11:00:00-05:00", "2026-03-02T11:30:00-05:00"
    )

    assert times(free(ny, mine)) == ["09:00", "09:30", "10:00", "10:30"]


def test_appointments_per_slot_above_one(app, ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),), appoinmentPerSlot=2)
    seed_appointment(
        app, ny, calendar_id, "ann", "2026-03-02T09:00:00-05:00", "2026-03-02T09:30:00-05:00"
    )

    assert times(free(ny, calendar_id)) == ["09:00", "09:30"]
    seed_appointment(
        app, ny, calendar_id, "ann", "2026-03-02T09:00:00-05:00", "2026-03-02T09:30:00-05:00"
    )
    assert times(free(ny, calendar_id)) == ["09:30"]


def test_class_seats(app, ny):
    calendar_id = make_calendar(
        ny, "class_booking", hours=(("09:00", "11:00"),), slotDuration=60, appoinmentPerSlot=2
    )
    for _ in range(2):
        seed_appointment(
            app, ny, calendar_id, "ann", "2026-03-02T09:00:00-05:00", "2026-03-02T10:00:00-05:00"
        )

    assert times(free(ny, calendar_id)) == ["10:00"]


def test_appointments_per_day(app, ny):
    calendar_id = make_calendar(
        ny, hours=(("09:00", "10:00"),), days=("monday", "tuesday"), appoinmentPerDay=1
    )
    seed_appointment(
        app, ny, calendar_id, "ann", "2026-03-02T09:00:00-05:00", "2026-03-02T09:30:00-05:00"
    )

    answer = free(ny, calendar_id, start=MONDAY, end="2026-03-03")

    assert list(answer) == ["2026-03-03"]


@pytest.mark.parametrize(
    ("amount", "unit", "first"),
    [
        (30, "mins", "09:30"),
        (1, "hours", "10:00"),
        (1, "days", "09:00"),  # a day ahead of Sunday 09:00: Monday 09:00 itself
        (1, "weeks", None),
        (1, "months", None),
    ],
)
def test_minimum_notice_in_each_unit(ny, before_march, amount, unit, first):
    calendar_id = make_calendar(
        ny,
        hours=(("09:00", "11:00"),),
        allowBookingAfter=amount,
        allowBookingAfterUnit=unit,
    )
    before_march("2026-03-01T09:00:00-05:00" if unit == "days" else "2026-03-02T09:00:00-05:00")

    offered = times(free(ny, calendar_id))

    assert (offered[0] if offered else None) == first


def test_nothing_before_now(ny, before_march):
    calendar_id = make_calendar(ny, hours=(("09:00", "11:00"),))
    before_march("2026-03-02T09:45:00-05:00")

    assert times(free(ny, calendar_id)) == ["10:00", "10:30"]


@pytest.mark.parametrize(
    ("amount", "unit", "now", "last_day"),
    [
        (2, "days", "2026-03-02T08:00:00-05:00", "2026-03-03"),
        (1, "weeks", "2026-03-02T08:00:00-05:00", "2026-03-08"),
        # From February 26th, one month ends before March 26th.
        (1, "months", "2026-02-26T08:00:00-05:00", "2026-03-25"),
    ],
)
def test_booking_window_in_each_unit(ny, before_march, amount, unit, now, last_day):
    calendar_id = make_calendar(
        ny,
        hours=(("09:00", "10:00"),),
        days=("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        allowBookingFor=amount,
        allowBookingForUnit=unit,
    )
    before_march(now)

    answer = free(ny, calendar_id, start=MONDAY, end="2026-04-01")

    days = list(answer)
    assert (days[0], days[-1]) == (MONDAY, last_day)


@pytest.mark.parametrize("status", ["cancelled", "invalid"])
def test_cancelled_and_invalid_appointments_free_time(app, ny, status):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))
    seed_appointment(
        app,
        ny,
        calendar_id,
        "ann",
        "2026-03-02T09:00:00-05:00",
        "2026-03-02T09:30:00-05:00",
        status=status,
    )

    assert times(free(ny, calendar_id)) == ["09:00", "09:30"]


def test_calendar_level_block_blocks_that_calendar_only(ny):
    blocked = make_calendar(ny, hours=(("09:00", "10:00"),))
    other = make_calendar(ny, hours=(("09:00", "10:00"),))
    response = ny.post(
        "/calendars/events/block-slots",
        json={
            "locationId": ny.location_id,
            "calendarId": blocked,
            "startTime": "2026-03-02T09:00:00-05:00",
            "endTime": "2026-03-02T09:30:00-05:00",
        },
    )

    assert response.status_code == 201
    assert times(free(ny, blocked)) == ["09:30"]
    assert times(free(ny, other)) == ["09:00", "09:30"]


def test_user_level_block_blocks_that_user_everywhere(ny):
    first = make_calendar(ny, hours=(("09:00", "10:00"),))
    second = make_calendar(ny, "round_robin", members=("ann", "bob"), hours=(("09:00", "10:00"),))
    ny.post(
        "/calendars/events/block-slots",
        json={
            "locationId": ny.location_id,
            "assignedUserId": "ann",
            "startTime": "2026-03-02T09:00:00",  # no offset: the location's wall clock
            "endTime": "2026-03-02T10:00:00",
        },
    )

    assert free(ny, first) == {}
    assert times(free(ny, second)) == ["09:00", "09:30"]
    assert free(ny, second, userId="ann") == {}


def test_round_robin_any_member_and_user_filters(app, ny):
    calendar_id = make_calendar(
        ny, "round_robin", members=("ann", "bob"), hours=(("09:00", "10:00"),)
    )
    seed_appointment(
        app, ny, calendar_id, "ann", "2026-03-02T09:00:00-05:00", "2026-03-02T09:30:00-05:00"
    )
    seed_appointment(
        app, ny, calendar_id, "bob", "2026-03-02T09:30:00-05:00", "2026-03-02T10:00:00-05:00"
    )

    assert times(free(ny, calendar_id)) == ["09:00", "09:30"]
    assert times(free(ny, calendar_id, userId="ann")) == ["09:30"]
    assert times(free(ny, calendar_id, userIds="bob")) == ["09:00"]
    assert times(free(ny, calendar_id, userIds="ann,bob")) == ["09:00", "09:30"]
    assert times(free(ny, calendar_id, userIds=["ann", "bob"])) == ["09:00", "09:30"]


def test_collective_needs_every_member(app, ny):
    calendar_id = make_calendar(
        ny, "collective", members=("ann", "bob"), hours=(("09:00", "10:00"),)
    )
    seed_appointment(
        app, ny, calendar_id, "bob", "2026-03-02T09:00:00-05:00", "2026-03-02T09:30:00-05:00"
    )

    assert times(free(ny, calendar_id)) == ["09:30"]


def test_a_collective_booking_occupies_every_member(app, ny):
    collective = make_calendar(
        ny, "collective", members=("ann", "bob"), hours=(("09:00", "10:00"),)
    )
    bobs = make_calendar(ny, members=("bob",), hours=(("09:00", "10:00"),))
    seed_appointment(
        app,
        ny,
        collective,
        "ann",
        "2026-03-02T09:00:00-05:00",
        "2026-03-02T09:30:00-05:00",
        users=("ann", "bob"),
    )

    assert times(free(ny, bobs)) == ["09:30"]


def test_event_calendar_is_its_own_person_and_members_count(app, ny):
    calendar_id = make_calendar(
        ny, "event", hours=(("09:00", "11:00"),), teamMembers=[{"userId": "host"}]
    )
    elsewhere = make_calendar(ny, members=("host",), hours=(("09:00", "11:00"),))
    seed_appointment(
        app, ny, calendar_id, None, "2026-03-02T09:00:00-05:00", "2026-03-02T09:30:00-05:00"
    )
    seed_appointment(
        app, ny, elsewhere, "host", "2026-03-02T10:00:00-05:00", "2026-03-02T10:30:00-05:00"
    )

    assert times(free(ny, calendar_id)) == ["09:30", "10:30"]


@pytest.mark.parametrize(
    ("calendar_type", "holder", "started"),
    [
        # Busy reads look one day back in the busy indexes: these started earlier and are found
        # in the partial indexes of appointments lasting over a day (busy/appointments.py).
        ("personal", "ann", "2026-02-25T10:00:00-05:00"),
        ("event", None, "2026-02-25T10:00:00-05:00"),
        # Just over a day: it started 1 minute before the one-day look back of a booking.
        ("personal", "ann", "2026-03-01T10:29:00-05:00"),
        ("event", None, "2026-03-01T10:29:00-05:00"),
    ],
)
def test_an_appointment_of_days_blocks_the_day_it_ends(app, ny, calendar_type, holder, started):
    calendar_id = make_calendar(ny, calendar_type, hours=(("09:00", "12:00"),))
    seed_appointment(app, ny, calendar_id, holder, started, "2026-03-02T10:30:00-05:00")

    assert times(free(ny, calendar_id)) == ["10:30", "11:00", "11:30"]
    books_from_half_past_ten(ny, calendar_id)


def test_an_appointment_of_days_elsewhere_blocks_its_holder(app, ny):
    mine = make_calendar(ny, hours=(("09:00", "12:00"),))
    theirs = make_calendar(ny, hours=(("09:00", "12:00"),))
    seed_appointment(
        app, ny, theirs, "ann", "2026-02-20T09:00:00-05:00", "2026-03-02T11:00:00-05:00"
    )
    # Cancelled, it frees its time as a short one does.
    seed_appointment(
        app,
        ny,
        theirs,
        "ann",
        "2026-02-20T09:00:00-05:00",
        "2026-03-02T12:00:00-05:00",
        status="cancelled",
    )

    assert times(free(ny, mine)) == ["11:00", "11:30"]


def test_service_booking_calendar_offers_when_a_member_is_free(ny):
    calendar_id = make_calendar(
        ny, "service_booking", members=("ann", "bob"), hours=(("09:00", "10:00"),)
    )

    assert times(free(ny, calendar_id)) == ["09:00", "09:30"]


def test_answer_in_another_time_zone(ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))

    answer = free(ny, calendar_id, timezone="Europe/London")

    assert answer == {
        "2026-03-02": {"slots": ["2026-03-02T14:00:00+00:00", "2026-03-02T14:30:00+00:00"]}
    }


def test_date_keys_follow_the_answers_zone(ny):
    calendar_id = make_calendar(ny, hours=(("20:00", "21:00"),))

    answer = free(ny, calendar_id, start=MONDAY, end="2026-03-03", timezone="Asia/Tokyo")

    assert answer == {
        "2026-03-03": {"slots": ["2026-03-03T10:00:00+09:00", "2026-03-03T10:30:00+09:00"]}
    }


def test_the_week_clocks_spring_forward(ny):
    calendar_id = make_calendar(
        ny, hours=(("09:00", "10:00"),), days=("saturday", "sunday", "monday")
    )

    answer = free(ny, calendar_id, start="2026-03-07", end="2026-03-09")

    assert answer == {
        "2026-03-07": {"slots": ["2026-03-07T09:00:00-05:00", "2026-03-07T09:30:00-05:00"]},
        "2026-03-08": {"slots": ["2026-03-08T09:00:00-04:00", "2026-03-08T09:30:00-04:00"]},
        "2026-03-09": {"slots": ["2026-03-09T09:00:00-04:00", "2026-03-09T09:30:00-04:00"]},
    }


def test_the_night_clocks_fall_back(ny):
    calendar_id = make_calendar(ny, hours=(("00:30", "02:30"),), days=("sunday",), slotDuration=60)

    answer = free(ny, calendar_id, start="2026-11-01", end="2026-11-01")

    # 00:30 EDT to 02:30 EST is three real hours: three one-hour slots.
    assert answer == {
        "2026-11-01": {
            "slots": [
                "2026-11-01T00:30:00-04:00",
                "2026-11-01T01:30:00-04:00",
                "2026-11-01T01:30:00-05:00",
            ]
        }
    }


def test_look_busy_is_stable_and_can_be_switched_off(ny):
    calendar_id = make_calendar(
        ny, hours=(("09:00", "13:00"),), lookBusyConfig={"enabled": True, "LookBusyPercentage": 30}
    )

    first = free(ny, calendar_id)
    second = free(ny, calendar_id)
    everything = free(ny, calendar_id, enableLookBusy="false")

    assert first == second
    assert len(times(everything)) == 8
    assert len(times(first)) == 8 - 2  # 30% of 8, rounded down
    assert set(times(first)) < set(times(everything))


def test_an_inactive_calendar_offers_nothing_and_a_deleted_one_is_gone(ny):
    inactive = make_calendar(ny, hours=(("09:00", "10:00"),), isActive=False)
    deleted = make_calendar(ny, hours=(("09:00", "10:00"),))
    ny.delete(f"/calendars/{deleted}")

    assert free(ny, inactive) == {}
    response = ny.get(
        f"/calendars/{deleted}/free-slots", params={"startDate": MONDAY, "endDate": MONDAY}
    )
    assert response.status_code == 404
    assert response.json()["message"] == "Calendar not found"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"startDate": "2026-03-01", "endDate": "2026-04-01"},
            "The date range cannot be more than 31 days",
        ),
        (
            {"startDate": "2026-03-05", "endDate": "2026-03-04"},
            "endDate must not be before startDate",
        ),
        (
            {"startDate": "2026-03-01", "endDate": "2026-03-02", "timezone": "Mars/Base"},
            "timezone must be a valid IANA time zone",
        ),
        (
            {"startDate": "yesterday", "endDate": "2026-03-02"},
            "startDate must be epoch milliseconds or a date YYYY-MM-DD",
        ),
        (
            {"startDate": "2026-03-01", "endDate": "2026-03-02", "userId": "stranger"},
            "userId stranger is not a team member of this calendar",
        ),
    ],
)
def test_bad_queries_are_400(ny, params, message):
    calendar_id = make_calendar(ny)

    response = ny.get(f"/calendars/{calendar_id}/free-slots", params=params)

    assert response.status_code == 400
    assert response.json()["message"] == [message]


def test_thirty_one_days_exactly_is_fine(ny):
    calendar_id = make_calendar(ny)
    start = ms("2026-03-01T00:00:00-05:00")

    response = ny.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": start, "endDate": start + 31 * 86_400_000 - 1},
    )

    assert response.status_code == 200


def test_start_and_end_are_required(ny):
    calendar_id = make_calendar(ny)

    response = ny.get(f"/calendars/{calendar_id}/free-slots")

    assert response.json()["message"] == [
        "startDate should not be empty",
        "endDate should not be empty",
    ]


def test_another_locations_calendar_looks_unknown(ny, client):
    other = create_tenant(client, timezone=ZONE)
    theirs = make_calendar(other)

    response = ny.get(
        f"/calendars/{theirs}/free-slots", params={"startDate": MONDAY, "endDate": MONDAY}
    )

    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "message": "Calendar not found",
        "error": "Not Found",
    }
