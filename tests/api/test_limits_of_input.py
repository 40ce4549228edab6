"""Numbers too large for the database or the calendar are a 400, never a 500."""

import pytest

from api.slot_helpers import make_calendar


def test_huge_paging_offsets_are_refused(ny):
    response = ny.get(
        "/calendars/schedules/search",
        params={"locationId": ny.location_id, "userId": "u", "skip": "6.0e307"},
    )

    assert response.status_code == 400
    assert response.json()["message"] == ["skip must not be greater than 1000000000"]


@pytest.mark.parametrize("instant", ["99999999999999999999", "-99999999999999999999", "1e300"])
def test_instants_outside_the_calendar_are_refused_in_queries(ny, instant):
    response = ny.get(
        "/calendars/blocked-slots",
        params={"locationId": ny.location_id, "userId": "u", "startTime": instant, "endTime": "1"},
    )

    assert response.status_code == 400
    assert response.json()["message"] == ["startTime must be epoch milliseconds"]


@pytest.mark.parametrize("instant", [10**20, -(10**20), 1e300, "99999-01-01T00:00:00Z"])
def test_instants_outside_the_calendar_are_refused_in_bodies(ny, instant):
    response = ny.post(
        "/calendars/events/block-slots",
        json={
            "locationId": ny.location_id,
            "assignedUserId": "u",
            "startTime": instant,
            "endTime": "2026-03-02T10:00:00Z",
        },
    )

    assert response.status_code == 400
    assert response.json()["message"] == [
        "startTime must be an ISO 8601 time (2021-06-23T03:30:00+05:30) or epoch milliseconds"
    ]


def test_free_slot_ranges_outside_the_calendar_are_refused(ny):
    calendar_id = make_calendar(ny)

    response = ny.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": "1e300", "endDate": "1e300"},
    )

    assert response.status_code == 400
    assert response.json()["message"] == [
        "startDate must be epoch milliseconds or a date YYYY-MM-DD"
    ]


def test_calendar_numbers_have_sane_bounds(ny):
    response = ny.post(
        "/calendars/",
        json={
            "locationId": ny.location_id,
            "name": "Huge",
            "slotDuration": 1e300,
            "allowBookingAfter": 20_000,
            "appoinmentPerDay": 10**12,
        },
    )

    assert response.json()["message"] == [
        "slotDuration must not be greater than 100000",
        "appoinmentPerDay must not be greater than 100000",
        "allowBookingAfter must not be greater than 10000",
    ]
