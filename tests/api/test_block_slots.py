"""Block slots: create, edit, list and delete (PRODUCT §5)."""

import re

import pytest

from api.slot_helpers import ZONE, make_calendar, ms
from support.api import create_tenant

ID = re.compile(r"^[A-Za-z0-9]{20}$")
EVENT_NOT_FOUND = {"statusCode": 404, "message": "Event not found", "error": "Not Found"}


def block(tenant, **fields):
    body = {
        "locationId": tenant.location_id,
        "title": "Lunch",
        "startTime": "2026-03-02T12:00:00-05:00",
        "endTime": "2026-03-02T13:00:00-05:00",
        **fields,
    }
    return tenant.post("/calendars/events/block-slots", json=body)


def listed(tenant, **filters):
    params = {
        "locationId": tenant.location_id,
        "startTime": ms("2026-03-01T00:00:00-05:00"),
        "endTime": ms("2026-03-08T00:00:00-05:00"),
        **filters,
    }
    response = tenant.get("/calendars/blocked-slots", params=params)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def test_create_a_calendar_block(ny):
    calendar_id = make_calendar(ny)

    response = block(ny, calendarId=calendar_id)

    assert response.status_code == 201
    created = response.json()
    assert ID.match(created["id"])
    assert created == {
        "id": created["id"],
        "locationId": ny.location_id,
        "title": "Lunch",
        "startTime": "2026-03-02T12:00:00-05:00",
        "endTime": "2026-03-02T13:00:00-05:00",
        "calendarId": calendar_id,
    }


def test_create_a_user_block_with_times_in_any_form(ny):
    response = block(
        ny,
        assignedUserId="ann",
        startTime=ms("2026-03-02T17:00:00Z"),  # epoch ms
        endTime="2026-03-02T13:30:00",  # no offset: the location's wall clock
    )

    assert response.status_code == 201
    assert response.json()["assignedUserId"] == "ann"
    assert (response.json()["startTime"], response.json()["endTime"]) == (
        "2026-03-02T12:00:00-05:00",
        "2026-03-02T13:30:00-05:00",
    )
    assert "calendarId" not in response.json()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "exactly one of calendarId or assignedUserId is required"),
        (
            {"calendarId": "c" * 20, "assignedUserId": "ann"},
            "exactly one of calendarId or assignedUserId is required",
        ),
        (
            {"assignedUserId": "ann", "endTime": "2026-03-02T11:00:00-05:00"},
            "endTime must be after startTime",
        ),
        (
            {"assignedUserId": "ann", "startTime": "noon"},
            "startTime must be an ISO 8601 time (2021-06-23T03:30:00+05:30) or epoch milliseconds",
        ),
    ],
)
def test_create_refuses_bad_blocks(ny, fields, message):
    response = block(ny, **fields)

    assert response.status_code == 400
    assert response.json()["message"] == [message]
    assert listed(ny, userId="ann") == []


def test_create_needs_times_and_a_location(ny):
    response = ny.post("/calendars/events/block-slots", json={"assignedUserId": "ann"})

    assert response.json()["message"] == [
        "locationId should not be empty",
        "startTime should not be empty",
        "endTime should not be empty",
    ]


def test_a_block_on_an_unknown_or_foreign_calendar_is_404(ny, client):
    other = create_tenant(client, timezone=ZONE)
    theirs = make_calendar(other)

    for calendar_id in (theirs, "u" * 20):
        response = block(ny, calendarId=calendar_id)
        assert response.status_code == 404
        assert response.json()["message"] == "Calendar not found"


def test_a_block_in_another_location_is_403(ny, client):
    other = create_tenant(client, timezone=ZONE)

    assert block(ny, assignedUserId="ann", locationId=other.location_id).status_code == 403


def test_edit_answers_201_and_can_move_the_block(ny):
    calendar_id = make_calendar(ny)
    created = block(ny, calendarId=calendar_id).json()
    path = f"/calendars/events/block-slots/{created['id']}"

    retimed = ny.put(
        path,
        json={
            "locationId": ny.location_id,
            "title": "Long lunch",
            "endTime": "2026-03-02T14:00:00-05:00",
        },
    )
    moved = ny.put(path, json={"locationId": ny.location_id, "assignedUserId": "bob"})

    assert retimed.status_code == 201
    assert retimed.json() == {
        **created,
        "title": "Long lunch",
        "endTime": "2026-03-02T14:00:00-05:00",
    }
    assert moved.status_code == 201
    assert moved.json() == {
        "id": created["id"],
        "locationId": ny.location_id,
        "title": "Long lunch",
        "startTime": "2026-03-02T12:00:00-05:00",
        "endTime": "2026-03-02T14:00:00-05:00",
        "assignedUserId": "bob",
    }
    assert [e["id"] for e in listed(ny, calendarId=calendar_id)] == []
    assert [e["id"] for e in listed(ny, userId="bob")] == [created["id"]]


def test_edit_keeps_times_ordered(ny):
    created = block(ny, assignedUserId="ann").json()

    response = ny.put(
        f"/calendars/events/block-slots/{created['id']}",
        json={"locationId": ny.location_id, "startTime": "2026-03-02T15:00:00-05:00"},
    )

    assert response.status_code == 400
    assert response.json()["message"] == ["endTime must be after startTime"]


def test_list_by_calendar_user_and_group_in_start_order(ny):
    group_id = ny.post(
        "/calendars/groups",
        json={"locationId": ny.location_id, "name": "G", "description": "", "slug": "g"},
    ).json()["group"]["id"]
    grouped = make_calendar(ny, groupId=group_id)
    late = block(
        ny,
        calendarId=grouped,
        startTime="2026-03-03T12:00:00-05:00",
        endTime="2026-03-03T13:00:00-05:00",
    ).json()
    early = block(ny, calendarId=grouped).json()
    users = block(ny, assignedUserId="ann", startTime="2026-03-02T12:30:00-05:00").json()
    block(
        ny,
        assignedUserId="ann",
        startTime="2026-03-20T12:00:00-05:00",
        endTime="2026-03-20T13:00:00-05:00",
    )

    by_calendar = listed(ny, calendarId=grouped)
    by_group = listed(ny, groupId=group_id)
    by_user = listed(ny, userId="ann")

    assert [e["id"] for e in by_calendar] == [early["id"], late["id"]]
    assert by_group == by_calendar
    assert by_user == [
        {
            "id": users["id"],
            "title": "Lunch",
            "calendarId": "",
            "locationId": ny.location_id,
            "contactId": "",
            "groupId": "",
            "appointmentStatus": "",
            "assignedUserId": "ann",
            "users": [],
            "deleted": False,
            "startTime": "2026-03-02T12:30:00-05:00",
            "endTime": "2026-03-02T13:00:00-05:00",
            "dateAdded": by_user[0]["dateAdded"],
            "dateUpdated": by_user[0]["dateUpdated"],
        }
    ]
    assert by_calendar[0]["groupId"] == group_id
    assert [e["id"] for e in listed(ny, calendarId=grouped, userId="ann")] == [
        early["id"],
        users["id"],
        late["id"],
    ]


def test_list_needs_a_filter_and_millisecond_times(ny):
    base = {"locationId": ny.location_id, "startTime": "1", "endTime": "2"}

    no_filter = ny.get("/calendars/blocked-slots", params=base)
    bad_time = ny.get(
        "/calendars/blocked-slots", params={**base, "userId": "a", "startTime": "2026-03-01"}
    )

    assert no_filter.json()["message"] == ["one of calendarId, userId or groupId is required"]
    assert bad_time.json()["message"] == ["startTime must be epoch milliseconds"]


def test_delete_answers_200_and_the_block_is_gone(ny):
    created = block(ny, assignedUserId="ann").json()

    deleted = ny.delete(f"/calendars/events/{created['id']}")

    assert deleted.status_code == 200
    assert deleted.json() == {"succeeded": True}
    assert listed(ny, userId="ann") == []
    assert ny.delete(f"/calendars/events/{created['id']}").json() == EVENT_NOT_FOUND
    edit = ny.put(
        f"/calendars/events/block-slots/{created['id']}", json={"locationId": ny.location_id}
    )
    assert edit.json() == EVENT_NOT_FOUND


def test_another_locations_block_looks_unknown(ny, client):
    other = create_tenant(client, timezone=ZONE)
    theirs = block(other, assignedUserId="ann").json()

    assert ny.delete(f"/calendars/events/{theirs['id']}").json() == EVENT_NOT_FOUND
    edit = ny.put(
        f"/calendars/events/block-slots/{theirs['id']}", json={"locationId": ny.location_id}
    )
    assert edit.json() == EVENT_NOT_FOUND
    assert listed(other, userId="ann")[0]["id"] == theirs["id"]


NOT_AN_EVENT_CALENDAR = {
    "statusCode": 400,
    "message": "The calendar is not an event calendar",
    "error": "Bad Request",
}


@pytest.mark.parametrize(
    ("calendar_type", "members"),
    [
        ("round_robin", ("ann", "bob")),
        ("collective", ("ann", "bob")),
        ("class_booking", ("ann",)),
        ("service_booking", ("ann",)),
    ],
)
def test_team_calendars_take_no_calendar_level_block(ny, calendar_type, members):
    calendar_id = make_calendar(ny, calendar_type, members=members)
    personal = make_calendar(ny)
    existing = block(ny, calendarId=personal).json()

    created = block(ny, calendarId=calendar_id)
    moved = ny.put(
        f"/calendars/events/block-slots/{existing['id']}",
        json={"locationId": ny.location_id, "calendarId": calendar_id},
    )

    assert (created.status_code, created.json()) == (400, NOT_AN_EVENT_CALENDAR)
    assert (moved.status_code, moved.json()) == (400, NOT_AN_EVENT_CALENDAR)
    assert listed(ny, calendarId=calendar_id) == []
    assert [e["id"] for e in listed(ny, calendarId=personal)] == [existing["id"]]
    # Their members are blocked one by one.
    assert block(ny, assignedUserId=members[0]).status_code == 201


def test_event_and_personal_calendars_take_calendar_level_blocks(ny):
    for calendar_type in ("event", "personal"):
        calendar_id = make_calendar(ny, calendar_type)
        assert block(ny, calendarId=calendar_id).status_code == 201
