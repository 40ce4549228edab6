"""Service bookings (PRODUCT §7): segments, add-ons, the endTime rule, staff availability and
the busy-time picture shared with appointments."""

import re

import pytest

from api.slot_helpers import ZONE, free, make_calendar, ms, seed_appointment, times

BOOKINGS = "/calendars/services/bookings"
NOT_FOUND = {"statusCode": 404, "message": "Service booking not found", "error": "Not Found"}
NINE = "2026-03-02T09:00:00-05:00"  # a Monday
MONDAY_HOURS = [{"type": "wday", "day": "monday", "intervals": [{"from": "09:00", "to": "17:00"}]}]


pytestmark = pytest.mark.usefixtures("before_march")


def staff_hours(tenant, user_id, rules=MONDAY_HOURS):
    """A schedule no calendar uses: the user's hours for services (PRODUCT §4.2)."""
    response = tenant.post(
        "/calendars/schedules",
        json={
            "locationId": tenant.location_id,
            "name": f"{user_id} services",
            "userId": user_id,
            "timezone": ZONE,
            "rules": rules,
        },
    )
    assert response.status_code == 201, response.text


def make_service(tenant, slug, staff, **fields):
    body = {
        "locationId": tenant.location_id,
        "name": slug.title(),
        "slug": slug,
        "staff": [{"id": user} for user in staff],
        **fields,
    }
    response = tenant.post("/calendars/services/catalog", json=body)
    assert response.status_code == 201, response.text
    return response.json()["service"]["id"]


def make_place(tenant, slug="studio", **fields):
    body = {"locationId": tenant.location_id, "name": slug, "slug": slug, **fields}
    response = tenant.post("/calendars/services/locations", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.fixture
def salon(ny):
    """A studio, Ann and Bob working Mondays 09:00-17:00, a haircut (30 min + 10 min after)
    both give, and a colour (60 min) only Bob gives."""
    ny.studio = make_place(ny, address="1 Main St")
    staff_hours(ny, "ann")
    staff_hours(ny, "bob")
    ny.haircut = make_service(
        ny, "haircut", ["ann", "bob"], postBuffer=10, serviceCategoryId="hair"
    )
    ny.colour = make_service(ny, "colour", ["bob"], serviceDuration=1, serviceDurationUnit="hours")
    return ny


def book(tenant, services, start=NINE, end=None, params=None, **fields):
    body = {
        "locationId": tenant.location_id,
        "contactId": "contact-1",
        "startTime": start,
        "endTime": end,
        "timezone": ZONE,
        "services": services,
        **fields,
    }
    return tenant.post(BOOKINGS, json=body, params=params or {})


def booked(tenant, services, start=NINE, end=None, **fields):
    response = book(tenant, services, start, end, **fields)
    assert response.status_code == 201, response.text
    return response.json()


def listed(tenant, start="2026-03-01T00:00:00Z", end="2026-03-08T00:00:00Z", **params):
    query = {"locationId": tenant.location_id, "startTime": ms(start), "endTime": ms(end), **params}
    response = tenant.get(BOOKINGS, params=query)
    assert response.status_code == 200, response.text
    return response.json()["bookings"]


def test_two_services_with_add_ons_are_laid_back_to_back_by_position(salon, frozen_clock):
    frozen_clock("2026-02-27T12:00:00.250Z")
    services = [
        {
            "id": salon.haircut,
            "position": 1,
            "addOns": [{"id": "wash", "duration": 15, "quantity": 2}],
        },
        {"id": salon.colour, "position": 0, "addOns": [{"id": "gloss", "duration": 5}]},
    ]

    response = book(salon, services, end="2026-03-02T11:05:00-05:00")

    assert response.status_code == 201, response.text
    booking = response.json()
    assert re.fullmatch(r"[A-Za-z0-9]{20}", booking["bookingId"])
    assert booking == {
        "bookingId": booking["bookingId"],
        "locationId": salon.location_id,
        "contactId": "contact-1",
        "serviceLocationId": salon.studio,
        "title": "Colour, Haircut",
        "startTime": "2026-03-02T09:00:00-05:00",
        "endTime": "2026-03-02T11:05:00-05:00",
        "services": [
            {
                "id": salon.colour,
                "serviceCategoryId": "default",
                "serviceStaffId": "bob",
                "serviceStartTime": "2026-03-02T09:00:00-05:00",
                "serviceEndTime": "2026-03-02T10:05:00-05:00",
                "serviceAddOns": [{"id": "gloss", "quantity": 1}],
            },
            {
                "id": salon.haircut,
                "serviceCategoryId": "hair",
                "serviceStaffId": "ann",
                "serviceStartTime": "2026-03-02T10:05:00-05:00",
                "serviceEndTime": "2026-03-02T11:05:00-05:00",
                "serviceAddOns": [{"id": "wash", "quantity": 2}],
            },
        ],
        "timezone": ZONE,
        "status": "confirmed",
        "deleted": False,
        "dateAdded": "2026-02-27T07:00:00-05:00",
        "dateUpdated": "2026-02-27T07:00:00-05:00",
        "createdBy": {"source": "third_party"},
    }
    assert salon.get(f"{BOOKINGS}/{booking['bookingId']}").json() == booking
    assert listed(salon) == [booking]


def test_a_wrong_end_is_refused_naming_the_expected_end(salon):
    response = book(salon, [{"id": salon.haircut}], end="2026-03-02T09:45:00-05:00")

    assert response.status_code == 400
    assert response.json()["message"] == ["endTime must be 2026-03-02T09:30:00-05:00"]
    # Offsets follow the booking's time zone.
    kolkata = book(salon, [{"id": salon.haircut}], end=NINE, timezone="Asia/Kolkata")
    assert kolkata.json()["message"] == ["endTime must be 2026-03-02T20:00:00+05:30"]
    assert listed(salon) == []


def test_a_service_without_staff_id_gets_the_first_free_staff_member(salon):
    first = booked(salon, [{"id": salon.haircut}], end="2026-03-02T09:30:00-05:00")
    second = booked(salon, [{"id": salon.haircut}], end="2026-03-02T09:30:00-05:00")
    third = book(salon, [{"id": salon.haircut}], end="2026-03-02T09:30:00-05:00")

    assert first["services"][0]["serviceStaffId"] == "ann"
    assert second["services"][0]["serviceStaffId"] == "bob"
    assert third.status_code == 400
    assert third.json()["message"] == [
        "services.0: no staff member of the service is available"
        " from 2026-03-02T09:00:00-05:00 to 2026-03-02T09:30:00-05:00"
    ]


def test_the_service_buffers_keep_the_staff_free_around_it(salon):
    booked(salon, [{"id": salon.haircut, "staffId": "ann"}], end="2026-03-02T09:30:00-05:00")

    # Haircut has 10 minutes after it: Ann is busy until 09:40.
    at_930 = book(
        salon,
        [{"id": salon.haircut, "staffId": "ann"}],
        start="2026-03-02T09:30:00-05:00",
        end="2026-03-02T10:00:00-05:00",
    )
    at_940 = book(
        salon,
        [{"id": salon.haircut, "staffId": "ann"}],
        start="2026-03-02T09:40:00-05:00",
        end="2026-03-02T10:10:00-05:00",
    )

    assert at_930.json()["message"] == [
        "services.0: staff member ann is not available"
        " from 2026-03-02T09:30:00-05:00 to 2026-03-02T10:00:00-05:00"
    ]
    assert at_940.status_code == 201, at_940.text


def test_staff_hours_and_notice(salon):
    staff_hours(salon, "cleo", rules=[])
    only_cleo = make_service(salon, "nails", ["cleo"])
    make_service(salon, "massage", ["dan"])  # Dan has no schedule at all

    evening = book(
        salon,
        [{"id": salon.haircut}],
        start="2026-03-02T16:45:00-05:00",
        end="2026-03-02T17:15:00-05:00",
    )
    closed = book(salon, [{"id": only_cleo}], end="2026-03-02T09:30:00-05:00")
    past = book(
        salon,
        [{"id": salon.haircut}],
        start="2026-02-23T09:00:00-05:00",
        end="2026-02-23T09:30:00-05:00",
    )
    skipped = book(
        salon,
        [{"id": salon.haircut}],
        start="2026-02-23T09:00:00-05:00",
        end="2026-02-23T09:30:00-05:00",
        params={"skipSchedulingNotice": "true"},
    )

    assert evening.status_code == 400
    assert closed.json()["message"] == [
        "services.0: staff member cleo is not available"
        " from 2026-03-02T09:00:00-05:00 to 2026-03-02T09:30:00-05:00"
    ]
    assert past.json()["message"] == ["startTime must not be in the past"]
    assert skipped.status_code == 201, skipped.text


def test_the_most_recent_unassociated_schedule_gives_the_hours(salon, frozen_clock):
    frozen_clock("2026-02-27T12:00:01Z")
    # Ann's newer services schedule only opens in the afternoon.
    afternoon = [{"type": "wday", "day": "monday", "intervals": [{"from": "13:00", "to": "17:00"}]}]
    staff_hours(salon, "ann", rules=afternoon)

    morning = book(
        salon, [{"id": salon.haircut, "staffId": "ann"}], end="2026-03-02T09:30:00-05:00"
    )
    after_one = book(
        salon,
        [{"id": salon.haircut, "staffId": "ann"}],
        start="2026-03-02T13:00:00-05:00",
        end="2026-03-02T13:30:00-05:00",
    )

    assert morning.status_code == 400
    assert after_one.status_code == 201


def test_override_availability_books_anyway_and_first_staff_is_taken(salon):
    booked(salon, [{"id": salon.haircut, "staffId": "ann"}], end="2026-03-02T09:30:00-05:00")

    response = book(
        salon,
        [{"id": salon.haircut}],
        start="2026-03-02T07:00:00-05:00",
        end="2026-03-02T07:30:00-05:00",
        params={"overrideAvailability": "true"},
    )
    overlapping = book(
        salon,
        [{"id": salon.haircut, "staffId": "ann"}],
        end="2026-03-02T09:30:00-05:00",
        params={"overrideAvailability": "true"},
    )

    assert response.json()["services"][0]["serviceStaffId"] == "ann"
    assert overlapping.status_code == 201


def test_an_appointment_makes_the_staff_busy_for_services(salon, app):
    calendar_id = make_calendar(salon, members=("ann",), hours=(("09:00", "17:00"),), slotBuffer=15)
    seed_appointment(app, salon, calendar_id, "ann", NINE, "2026-03-02T09:30:00-05:00")

    # The calendar's 15-minute buffer after it keeps Ann busy until 09:45.
    at_930 = book(
        salon,
        [{"id": salon.haircut, "staffId": "ann"}],
        start="2026-03-02T09:30:00-05:00",
        end="2026-03-02T10:00:00-05:00",
    )
    auto = booked(salon, [{"id": salon.haircut}], end="2026-03-02T09:30:00-05:00")

    assert at_930.status_code == 400
    assert auto["services"][0]["serviceStaffId"] == "bob"


def test_a_service_booking_makes_the_staff_busy_in_every_calendar(salon):
    calendar_id = make_calendar(salon, members=("ann",), hours=(("09:00", "12:00"),))
    before = times(free(salon, calendar_id, timezone=ZONE))

    booked(
        salon,
        [{"id": salon.haircut, "staffId": "ann"}],
        start="2026-03-02T10:00:00-05:00",
        end="2026-03-02T10:30:00-05:00",
    )

    # 10:00-10:30 plus the haircut's 10 minutes after: 10:00 and 10:30 are gone.
    assert before == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]
    assert times(free(salon, calendar_id, timezone=ZONE)) == ["09:00", "09:30", "11:00", "11:30"]
    appointment = salon.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": salon.location_id,
            "contactId": "contact-2",
            "startTime": "2026-03-02T10:30:00-05:00",
        },
    )
    assert appointment.status_code == 400
    assert appointment.json()["message"] == "The slot you have selected is no longer available."


def test_a_blocked_slot_of_the_staff_member_makes_them_busy(salon):
    block = salon.post(
        "/calendars/events/block-slots",
        json={
            "locationId": salon.location_id,
            "assignedUserId": "bob",
            "startTime": NINE,
            "endTime": "2026-03-02T12:00:00-05:00",
        },
    )
    assert block.status_code == 201, block.text

    response = book(salon, [{"id": salon.colour}], end="2026-03-02T10:00:00-05:00")

    assert response.json()["message"] == [
        "services.0: staff member bob is not available"
        " from 2026-03-02T09:00:00-05:00 to 2026-03-02T10:00:00-05:00"
    ]


def test_service_locations_default_ask_booker_and_meeting_location(salon):
    home = make_place(salon, "home-visits", locationType="ask_booker")
    one = [{"id": salon.haircut}]

    at_default = booked(salon, one, end="2026-03-02T09:30:00-05:00")
    needs_place = book(salon, one, end="2026-03-02T09:30:00-05:00", serviceLocationId=home)
    at_home = booked(
        salon,
        one,
        end="2026-03-02T09:30:00-05:00",
        serviceLocationId=home,
        meetingLocation="5 Elm St",
    )
    ignored = book(
        salon,
        one,
        start="2026-03-02T10:00:00-05:00",
        end="2026-03-02T10:30:00-05:00",
        meetingLocation="5 Elm St",
    )
    unknown = book(salon, one, end="2026-03-02T09:30:00-05:00", serviceLocationId="nope")

    assert at_default["serviceLocationId"] == salon.studio
    assert "meetingLocation" not in at_default
    assert needs_place.json()["message"] == [
        "meetingLocation should not be empty for an ask_booker service location"
    ]
    assert at_home["serviceLocationId"] == home
    assert at_home["meetingLocation"] == "5 Elm St"
    assert ignored.status_code == 201
    assert ignored.json()["messages"] == [
        "Meeting location is not supported for the selected service location and has been ignored."
    ]
    assert "meetingLocation" not in ignored.json()
    assert unknown.json()["message"] == [
        "serviceLocationId nope is not a service location of this location"
    ]


def test_without_any_service_location_a_booking_is_refused(ny):
    staff_hours(ny, "ann")
    haircut = make_service(ny, "haircut", ["ann"])

    response = book(ny, [{"id": haircut}], end="2026-03-02T09:30:00-05:00")

    assert response.json()["message"] == [
        "serviceLocationId should not be empty: this location has none yet"
    ]


@pytest.mark.parametrize(
    ("change", "messages"),
    [
        ({"services": []}, ["services must contain at least 1 elements"]),
        ({"services": [{"id": "nope"}]}, ["services.0.id nope is not a service of this location"]),
        ({"timezone": "Mars/Base"}, ["timezone must be a valid IANA time zone"]),
        ({"startTime": "soon"}, None),
        ({"status": "cancelled"}, ["status must be one of the following values: confirmed, new"]),
        ({"contactId": ""}, ["contactId should not be empty"]),
    ],
)
def test_bad_bookings_are_refused_and_nothing_is_stored(salon, change, messages):
    body = {"services": [{"id": salon.haircut}], "end": "2026-03-02T09:30:00-05:00", **change}
    services = body.pop("services")
    end = body.pop("end")

    response = book(salon, services, end=end, **body)

    assert response.status_code == 400, response.text
    if messages is not None:
        assert response.json()["message"] == messages
    assert listed(salon) == []


def test_staff_id_positions_and_add_ons_are_checked(salon):
    wrong_staff = book(
        salon, [{"id": salon.colour, "staffId": "ann"}], end="2026-03-02T10:00:00-05:00"
    )
    twice = book(
        salon,
        [{"id": salon.haircut, "position": 1}, {"id": salon.colour, "position": 1}],
        end="2026-03-02T10:30:00-05:00",
    )
    add_ons = book(
        salon,
        [
            {
                "id": salon.haircut,
                "addOns": [{"id": "a", "quantity": 1.5}, {"id": "b", "duration": 0.5}],
            }
        ],
        end="2026-03-02T09:30:00-05:00",
    )

    assert wrong_staff.json()["message"] == [
        "services.0.staffId must be a staff member of the service"
    ]
    assert twice.json()["message"] == ["services.1.position 1 is used twice"]
    assert add_ons.json()["message"] == [
        "services.0.addOns.0.quantity must be an integer number",
        "services.0.addOns.1.duration must be a whole number of minutes",
    ]


def test_a_deleted_service_cannot_be_booked(salon):
    salon.delete(f"/calendars/services/catalog/{salon.colour}")

    response = book(salon, [{"id": salon.colour}], end="2026-03-02T10:00:00-05:00")

    assert response.json()["message"] == [
        f"services.0.id {salon.colour} is not a service of this location"
    ]


def test_moving_a_booking_revalidates_without_counting_itself(salon):
    booking = booked(salon, [{"id": salon.colour}], end="2026-03-02T10:00:00-05:00")
    other = booked(
        salon,
        [{"id": salon.colour}],
        start="2026-03-02T11:00:00-05:00",
        end="2026-03-02T12:00:00-05:00",
    )
    path = f"{BOOKINGS}/{booking['bookingId']}"

    half_hour_later = salon.put(path, json={"startTime": "2026-03-02T09:30:00-05:00"})
    onto_other = salon.put(path, json={"startTime": "2026-03-02T10:30:00-05:00"})
    wrong_end = salon.put(
        path,
        json={"startTime": "2026-03-02T13:00:00-05:00", "endTime": "2026-03-02T13:30:00-05:00"},
    )

    assert half_hour_later.status_code == 200, half_hour_later.text
    moved = half_hour_later.json()
    assert (moved["startTime"], moved["endTime"]) == (
        "2026-03-02T09:30:00-05:00",
        "2026-03-02T10:30:00-05:00",
    )
    assert moved["services"][0]["serviceStaffId"] == "bob"
    assert onto_other.json()["message"] == [
        "services.0: staff member bob is not available"
        " from 2026-03-02T10:30:00-05:00 to 2026-03-02T11:30:00-05:00"
    ]
    assert wrong_end.json()["message"] == ["endTime must be 2026-03-02T14:00:00-05:00"]
    assert salon.get(path).json() == moved
    assert [b["bookingId"] for b in listed(salon)] == [booking["bookingId"], other["bookingId"]]


def test_replacing_services_revalidates_and_recomputes(salon):
    booking = booked(
        salon, [{"id": salon.haircut, "staffId": "ann"}], end="2026-03-02T09:30:00-05:00"
    )
    booked(
        salon,
        [{"id": salon.colour}],
        start="2026-03-02T09:30:00-05:00",
        end="2026-03-02T10:30:00-05:00",
    )
    path = f"{BOOKINGS}/{booking['bookingId']}"

    colour = salon.put(path, json={"services": [{"id": salon.colour}]})
    both = salon.put(
        path,
        json={
            "services": [
                {"id": salon.haircut, "staffId": "ann"},
                {"id": salon.haircut, "staffId": "ann"},
            ],
            "title": "Two cuts",
        },
    )

    assert colour.status_code == 400  # Bob is booked from 09:30
    assert both.status_code == 200, both.text
    answer = both.json()
    assert answer["title"] == "Two cuts"
    assert answer["endTime"] == "2026-03-02T10:00:00-05:00"
    assert [s["serviceStartTime"][11:16] for s in answer["services"]] == ["09:00", "09:30"]


def test_cancelling_frees_the_time_and_confirming_again_revalidates(salon):
    booking = booked(salon, [{"id": salon.colour}], end="2026-03-02T10:00:00-05:00")
    path = f"{BOOKINGS}/{booking['bookingId']}"

    cancelled = salon.put(path, json={"status": "cancelled"})
    taken = booked(salon, [{"id": salon.colour}], end="2026-03-02T10:00:00-05:00")
    again = salon.put(path, json={"status": "confirmed"})

    assert cancelled.json()["status"] == "cancelled"
    assert taken["services"][0]["serviceStaffId"] == "bob"
    assert again.status_code == 400
    assert salon.get(path).json()["status"] == "cancelled"


def test_new_status_and_title(salon):
    booking = booked(
        salon,
        [{"id": salon.haircut}],
        end="2026-03-02T09:30:00-05:00",
        status="new",
        title="Cut for Jo",
    )

    assert (booking["status"], booking["title"]) == ("new", "Cut for Jo")
    # `new` still takes the staff member's time.
    assert (
        booked(salon, [{"id": salon.haircut}], end="2026-03-02T09:30:00-05:00")["services"][0][
            "serviceStaffId"
        ]
        == "bob"
    )


def test_delete_is_soft_and_frees_the_time(salon):
    booking = booked(salon, [{"id": salon.colour}], end="2026-03-02T10:00:00-05:00")
    path = f"{BOOKINGS}/{booking['bookingId']}"

    deleted = salon.delete(path)

    assert deleted.json() == {"success": True, "message": "Service booking deleted successfully"}
    assert salon.get(path).json() == NOT_FOUND
    assert salon.put(path, json={"title": "x"}).json() == NOT_FOUND
    assert salon.delete(path).json() == NOT_FOUND
    assert listed(salon) == []
    assert book(salon, [{"id": salon.colour}], end="2026-03-02T10:00:00-05:00").status_code == 201


def test_lists_filter_by_range_and_place_and_show_offsets_in_the_zone_asked(salon):
    home = make_place(salon, "home", locationType="ask_booker")
    monday = booked(salon, [{"id": salon.haircut}], end="2026-03-02T09:30:00-05:00")
    at_home = booked(
        salon,
        [{"id": salon.colour}],
        start="2026-03-02T15:00:00-05:00",
        end="2026-03-02T16:00:00-05:00",
        serviceLocationId=home,
        meetingLocation="5 Elm St",
    )

    assert listed(salon) == [monday, at_home]
    # Overlap: a range that ends as the first booking starts leaves it out.
    assert listed(salon, start="2026-03-01T00:00:00Z", end="2026-03-02T14:00:00Z") == []
    assert listed(salon, start="2026-03-02T14:29:59Z", end="2026-03-02T14:30:01Z") == [monday]
    assert listed(salon, serviceLocationId=home) == [at_home]
    (in_london,) = listed(salon, serviceLocationId=home, timezone="Europe/London")
    assert in_london["startTime"] == "2026-03-02T20:00:00+00:00"
    assert in_london["services"][0]["serviceEndTime"] == "2026-03-02T21:00:00+00:00"
    assert in_london["timezone"] == ZONE
    bad_zone = salon.get(
        BOOKINGS,
        params={
            "locationId": salon.location_id,
            "startTime": 0,
            "endTime": 1,
            "timezone": "Nowhere",
        },
    )
    reversed_range = salon.get(
        BOOKINGS, params={"locationId": salon.location_id, "startTime": 5, "endTime": 1}
    )
    assert bad_zone.json()["message"] == ["timezone must be a valid IANA time zone"]
    assert reversed_range.json()["message"] == ["endTime must be after startTime"]


def test_another_locations_bookings_are_not_found(salon, other_tenant):
    booking = booked(salon, [{"id": salon.haircut}], end="2026-03-02T09:30:00-05:00")
    path = f"{BOOKINGS}/{booking['bookingId']}"

    assert other_tenant.get(path).json() == NOT_FOUND
    assert other_tenant.put(path, json={"title": "Mine"}).json() == NOT_FOUND
    assert other_tenant.delete(path).json() == NOT_FOUND
    foreign = other_tenant.post(BOOKINGS, json={**booking, "locationId": salon.location_id})
    assert foreign.status_code == 403
    assert salon.get(path).json() == booking
