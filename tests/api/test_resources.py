"""Rooms and equipment (PRODUCT §4.4, §6): operations, rules, and their units in bookings."""

import re

import pytest

from api.slot_helpers import ZONE, free, make_calendar, times
from support.api import create_tenant

NOT_FOUND = {"statusCode": 404, "message": "Resource not found", "error": "Not Found"}
TAKEN = "The slot you have selected is no longer available."


pytestmark = pytest.mark.usefixtures("before_march")


def service_calendar(tenant, *members):
    return make_calendar(
        tenant, "service_booking", members=members or ("ann",), hours=(("09:00", "10:00"),)
    )


def create(tenant, resource_type, **fields):
    body = {"locationId": tenant.location_id, "name": "Room A", **fields}
    return tenant.post(f"/calendars/resources/{resource_type}", json=body)


def book(tenant, calendar_id, start="2026-03-02T09:00:00-05:00"):
    return tenant.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": tenant.location_id,
            "contactId": "c",
            "startTime": start,
        },
    )


def test_create_read_update_list_delete_a_room(ny):
    calendar_id = service_calendar(ny)

    created = create(ny, "rooms", capacity=3, calendarIds=[calendar_id], description="Upstairs")

    assert created.status_code == 201
    room = created.json()
    assert re.fullmatch(r"[A-Za-z0-9]{20}", room["id"])
    assert room == {
        "id": room["id"],
        "locationId": ny.location_id,
        "name": "Room A",
        "description": "Upstairs",
        "resourceType": "rooms",
        "isActive": True,
        "capacity": 3,
        "calendarIds": [calendar_id],
    }
    path = f"/calendars/resources/rooms/{room['id']}"
    assert ny.get(path).json() == room
    updated = ny.put(path, json={"name": "Room B", "isActive": False})
    assert updated.json() == {**room, "name": "Room B", "isActive": False}
    listed = ny.get(
        "/calendars/resources/rooms", params={"locationId": ny.location_id, "limit": 10, "skip": 0}
    )
    assert listed.json() == [updated.json()]
    assert ny.delete(path).json() == {"success": True}
    assert ny.get(path).json() == NOT_FOUND
    assert ny.get("/calendars/resources/rooms", params={"locationId": ny.location_id}).json() == []


def test_equipment_answers_quantity_and_out_of_service(ny):
    created = create(ny, "equipments", name="Laser", quantity=3, outOfService=1).json()

    assert (created["resourceType"], created["quantity"], created["outOfService"]) == (
        "equipments",
        3,
        1,
    )
    assert "capacity" not in created


@pytest.mark.parametrize(
    ("resource_type", "fields", "messages"),
    [
        ("equipments", {"quantity": 0}, ["quantity must not be less than 1"]),
        (
            "equipments",
            {"quantity": 2, "outOfService": 3},
            ["outOfService must be between 0 and quantity"],
        ),
        ("rooms", {}, ["capacity must not be less than 1"]),
        ("rooms", {"capacity": -1}, ["capacity must not be less than 0"]),
    ],
)
def test_units_are_checked(ny, resource_type, fields, messages):
    response = create(ny, resource_type, **fields)

    assert response.status_code == 400
    assert response.json()["message"] == messages


def test_calendars_must_be_service_calendars_of_the_location(ny, client):
    other = create_tenant(client, timezone=ZONE)
    theirs = service_calendar(other)
    personal = make_calendar(ny)
    first, second = service_calendar(ny), service_calendar(ny)

    wrong = create(ny, "rooms", capacity=1, calendarIds=[personal, theirs, "x" * 20])
    two_for_equipment = create(ny, "equipments", quantity=1, calendarIds=[first, second])

    assert wrong.json()["message"] == [
        f"calendarIds.{i} must be a service_booking calendar of this location" for i in range(3)
    ]
    assert two_for_equipment.json()["message"] == [
        "calendarIds may hold one calendar at most for equipment"
    ]
    assert create(ny, "rooms", capacity=1, calendarIds=[first, second]).status_code == 201


def test_a_room_of_two_allows_two_overlapping_bookings_across_its_calendars(ny):
    first = service_calendar(ny, "ann")
    second = service_calendar(ny, "bob", "cat")
    create(ny, "rooms", capacity=2, calendarIds=[first, second])

    assert book(ny, first).status_code == 200
    assert book(ny, second).status_code == 200

    third = book(ny, second)
    assert third.status_code == 400
    assert third.json()["message"] == TAKEN
    # cat is free, but the room is full at 09:00; at 09:30 it is free again.
    assert times(free(ny, second)) == ["09:30"]
    assert times(free(ny, first)) == ["09:30"]


def test_equipment_out_of_service_reduces_units(ny):
    calendar_id = service_calendar(ny, "ann", "bob")
    laser = create(
        ny, "equipments", name="Laser", quantity=2, outOfService=1, calendarIds=[calendar_id]
    )

    assert book(ny, calendar_id).status_code == 200
    assert book(ny, calendar_id).json()["message"] == TAKEN
    ny.put(f"/calendars/resources/equipments/{laser.json()['id']}", json={"outOfService": 0})
    assert book(ny, calendar_id).status_code == 200


def test_an_inactive_resource_is_ignored(ny):
    calendar_id = service_calendar(ny, "ann", "bob")
    create(ny, "rooms", capacity=1, calendarIds=[calendar_id], isActive=False)

    assert book(ny, calendar_id).status_code == 200
    assert book(ny, calendar_id).status_code == 200


def test_another_locations_resource_looks_unknown(ny, client):
    other = create_tenant(client, timezone=ZONE)
    theirs = create(other, "rooms", capacity=1).json()

    for method, body in (("GET", None), ("PUT", {"name": "x"}), ("DELETE", None)):
        response = ny.request(method, f"/calendars/resources/rooms/{theirs['id']}", json=body)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND
    assert ny.get(f"/calendars/resources/equipments/{theirs['id']}").status_code == 404
    assert create(ny, "rooms", capacity=1, locationId=other.location_id).status_code == 403


def test_unknown_resource_types_are_400(ny):
    response = ny.get("/calendars/resources/desks", params={"locationId": ny.location_id})

    assert response.status_code == 400
    assert response.json()["message"] == [
        "resourceType must be one of the following values: equipments, rooms"
    ]
