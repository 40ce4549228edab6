"""Appointment notes: create, list (newest first, pages), update, delete (PRODUCT §5)."""

import re

import pytest

from api.slot_helpers import ZONE, make_calendar
from support.api import create_tenant

NOTE_NOT_FOUND = {"statusCode": 404, "message": "Note not found", "error": "Not Found"}
APPOINTMENT_NOT_FOUND = {
    "statusCode": 404,
    "message": "Appointment not found",
    "error": "Not Found",
}


@pytest.fixture
def appointment_id(ny, frozen_clock):
    frozen_clock("2026-02-27T12:00:00Z")
    calendar_id = make_calendar(ny)
    response = ny.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": ny.location_id,
            "contactId": "contact-9",
            "startTime": "2026-03-02T09:00:00-05:00",
        },
    )
    return response.json()["id"]


def test_create_answers_201_with_the_note(ny, appointment_id):
    response = ny.post(
        f"/calendars/appointments/{appointment_id}/notes",
        json={"body": "Call back", "userId": "ann"},
    )

    assert response.status_code == 201
    note = response.json()["note"]
    assert re.fullmatch(r"[A-Za-z0-9]{20}", note["id"])
    assert response.json() == {
        "note": {
            "id": note["id"],
            "body": "Call back",
            "dateAdded": "2026-02-27T12:00:00.000Z",
            "contactId": "contact-9",
            "userId": "ann",
            "createdBy": {"id": "ann"},
        }
    }


def test_list_is_newest_first_with_pages(ny, appointment_id, frozen_clock):
    path = f"/calendars/appointments/{appointment_id}/notes"
    ids = []
    for n in range(5):
        frozen_clock(f"2026-02-27T13:0{n}:00Z")
        ids.append(ny.post(path, json={"body": f"note {n}"}).json()["note"]["id"])

    first = ny.get(path, params={"limit": 2, "offset": 0}).json()
    last = ny.get(path, params={"limit": 2, "offset": 4}).json()
    everything = ny.get(path, params={"limit": 100, "offset": 0}).json()

    assert [n["id"] for n in first["notes"]] == [ids[4], ids[3]]
    assert first["hasMore"] is True
    assert [n["id"] for n in last["notes"]] == [ids[0]]
    assert last["hasMore"] is False
    assert [n["body"] for n in everything["notes"]] == [f"note {n}" for n in range(4, -1, -1)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 0}, "limit must not be less than 1"),
        ({"limit": 101}, "limit must not be greater than 100"),
        ({"offset": -1}, "offset must not be less than 0"),
    ],
)
def test_list_checks_its_paging(ny, appointment_id, params, message):
    response = ny.get(f"/calendars/appointments/{appointment_id}/notes", params=params)

    assert response.status_code == 400
    assert response.json()["message"] == [message]


@pytest.mark.parametrize(
    ("body", "message"),
    [({}, "body should not be empty"), ({"body": ""}, "body should not be empty"),
     ({"body": "x" * 5001}, "body must be shorter than or equal to 5000 characters")],
)  # fmt: skip
def test_body_is_1_to_5000_characters(ny, appointment_id, body, message):
    response = ny.post(f"/calendars/appointments/{appointment_id}/notes", json=body)

    assert response.json()["message"] == [message]
    assert (
        ny.post(
            f"/calendars/appointments/{appointment_id}/notes", json={"body": "x" * 5000}
        ).status_code
        == 201
    )


def test_update_and_delete(ny, appointment_id):
    path = f"/calendars/appointments/{appointment_id}/notes"
    note = ny.post(path, json={"body": "first"}).json()["note"]

    updated = ny.put(f"{path}/{note['id']}", json={"body": "second"})
    deleted = ny.delete(f"{path}/{note['id']}")

    assert updated.status_code == 200
    assert updated.json() == {"note": {**note, "body": "second"}}
    assert deleted.json() == {"success": True}
    assert ny.get(path).json() == {"notes": [], "hasMore": False}
    assert ny.put(f"{path}/{note['id']}", json={"body": "x"}).json() == NOTE_NOT_FOUND
    assert ny.delete(f"{path}/{note['id']}").json() == NOTE_NOT_FOUND


def test_notes_of_unknown_or_foreign_appointments_are_404(ny, client, appointment_id):
    other = create_tenant(client, timezone=ZONE)

    for tenant, target in ((ny, "n" * 20), (other, appointment_id)):
        path = f"/calendars/appointments/{target}/notes"
        assert tenant.get(path).json() == APPOINTMENT_NOT_FOUND
        assert tenant.post(path, json={"body": "x"}).json() == APPOINTMENT_NOT_FOUND
