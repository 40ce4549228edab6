"""The 15 Services V2 operations (service locations, the service catalog and service bookings)
through the official SDK: a salon opens a studio, lists its services, takes a booking, moves
it, deletes it and closes again."""

import asyncio
from datetime import datetime

import pytest
from highlevel.error import GHLError

from sdk.harness import SdkHarness
from support.api import ADMIN_HEADERS

ZONE = "America/New_York"
SERVICE_LOCATION_OPERATIONS = {
    "get-service-locations",
    "create-service-location",
    "get-service-location-by-id",
    "update-service-location",
    "delete-service-location",
}
CATALOG_OPERATIONS = {
    "get-services-catalog",
    "create-service-catalog",
    "get-service-catalog-by-id",
    "update-service-catalog",
    "delete-service-catalog",
}
BOOKING_OPERATIONS = {
    "get-service-bookings",
    "create-service-booking",
    "get-service-booking-by-id",
    "update-service-booking",
    "delete-service-booking",
}
SERVICES_OPERATIONS = SERVICE_LOCATION_OPERATIONS | CATALOG_OPERATIONS | BOOKING_OPERATIONS
MONDAY_HOURS = [{"type": "wday", "day": "monday", "intervals": [{"from": "09:00", "to": "17:00"}]}]


def ms(text: str) -> str:
    return str(int(datetime.fromisoformat(text).timestamp() * 1000))


def by_id(service: dict) -> str:
    return service["id"]


def without_messages(booking: dict) -> dict:
    """A booking as it is stored: the create/update answer less its one-off `messages`."""
    return {key: value for key, value in booking.items() if key != "messages"}


async def open_studio(harness: SdkHarness, location_id: str) -> dict:
    """Create, list, read and rename the location's first (so default) service location."""
    calendars = harness.calendars
    place = await harness.call(
        "/calendars/services/locations",
        "post",
        calendars.create_service_location(
            {"locationId": location_id, "name": "Studio", "slug": "studio", "address": "1 Main St"}
        ),
    )
    listed = await harness.call(
        "/calendars/services/locations",
        "get",
        calendars.get_service_locations(location_id=location_id),
    )
    assert listed == {"serviceLocations": [place]}
    fetched = await harness.call(
        "/calendars/services/locations/{serviceLocationId}",
        "get",
        calendars.get_service_location_by_id(place["id"]),
    )
    assert fetched == place
    updated = await harness.call(
        "/calendars/services/locations/{serviceLocationId}",
        "put",
        calendars.update_service_location(place["id"], {"name": "Big studio"}),
    )
    assert updated["name"] == "Big studio"
    return updated


async def stock_the_catalog(harness: SdkHarness, location_id: str) -> tuple[dict, dict]:
    """A haircut Ann and Bob give and a colour only Bob gives; answers (haircut, colour)."""
    calendars = harness.calendars
    created = await harness.call(
        "/calendars/services/catalog",
        "post",
        calendars.create_service_catalog(
            {
                "locationId": location_id,
                "name": "Haircut",
                "slug": "haircut",
                "serviceCategoryId": "hair",
                "staff": [{"id": "ann"}, {"id": "bob"}],
            }
        ),
    )
    haircut = created["service"]
    assert (haircut["serviceDuration"], haircut["serviceDurationUnit"]) == (30, "mins")
    colour = (
        await harness.call(
            "/calendars/services/catalog",
            "post",
            calendars.create_service_catalog(
                {
                    "locationId": location_id,
                    "name": "Colour",
                    "slug": "colour",
                    "serviceDuration": 1,
                    "serviceDurationUnit": "hours",
                    "staff": [{"id": "bob"}],
                }
            ),
        )
    )["service"]

    everything = await harness.call(
        "/calendars/services/catalog", "get", calendars.get_services_catalog(location_id)
    )
    # Oldest first, then by id: under the frozen clock both were added at the same instant.
    assert sorted(everything["services"], key=by_id) == sorted([haircut, colour], key=by_id)
    hair = await harness.call(
        "/calendars/services/catalog",
        "get",
        calendars.get_services_catalog(location_id, service_category_id="hair", is_private=False),
    )
    assert hair == {"services": [haircut]}

    fetched = await harness.call(
        "/calendars/services/catalog/{serviceId}",
        "get",
        calendars.get_service_catalog_by_id(haircut["id"]),
    )
    assert fetched == created

    updated = await harness.call(
        "/calendars/services/catalog/{serviceId}",
        "put",
        calendars.update_service_catalog(haircut["id"], {"name": "Cut & style", "postBuffer": 10}),
    )
    assert updated == {"service": {**haircut, "name": "Cut & style", "postBuffer": 10}}
    return updated["service"], colour


async def take_a_booking(
    harness: SdkHarness, location_id: str, place: dict, haircut: dict, colour: dict
) -> None:
    """Book a haircut with Ann on a Monday, find it, move it and add a colour, then delete it."""
    calendars = harness.calendars
    monday = ("2030-03-04T00:00:00-05:00", "2030-03-05T00:00:00-05:00")

    booking = await harness.call(
        "/calendars/services/bookings",
        "post",
        calendars.create_service_booking(
            {
                "locationId": location_id,
                "contactId": "contact-1",
                "startTime": "2030-03-04T09:00:00-05:00",
                "endTime": "2030-03-04T09:30:00-05:00",
                "timezone": ZONE,
                "services": [{"id": haircut["id"], "staffId": "ann"}],
            }
        ),
    )
    assert booking["serviceLocationId"] == place["id"]  # the location's default
    assert (booking["title"], booking["status"]) == ("Cut & style", "confirmed")
    assert booking["services"] == [
        {
            "id": haircut["id"],
            "serviceCategoryId": "hair",
            "serviceStaffId": "ann",
            "serviceStartTime": "2030-03-04T09:00:00-05:00",
            "serviceEndTime": "2030-03-04T09:30:00-05:00",
            "serviceAddOns": [],
        }
    ]

    listed = await harness.call(
        "/calendars/services/bookings",
        "get",
        calendars.get_service_bookings(
            location_id,
            ms(monday[0]),
            ms(monday[1]),
            timezone=ZONE,
            service_location_id=place["id"],
        ),
    )
    assert listed == {"bookings": [without_messages(booking)]}
    fetched = await harness.call(
        "/calendars/services/bookings/{bookingId}",
        "get",
        calendars.get_service_booking_by_id(booking["bookingId"]),
    )
    assert fetched == without_messages(booking)

    # An hour later, and a colour with Bob after the cut: the end follows (30 + 60 minutes).
    moved = await harness.call(
        "/calendars/services/bookings/{bookingId}",
        "put",
        calendars.update_service_booking(
            booking["bookingId"],
            {
                "startTime": "2030-03-04T10:00:00-05:00",
                "title": "Cut and colour for Jo",
                "services": [{"id": haircut["id"], "staffId": "ann"}, {"id": colour["id"]}],
            },
        ),
    )
    assert moved["bookingId"] == booking["bookingId"]
    assert (moved["startTime"], moved["endTime"]) == (
        "2030-03-04T10:00:00-05:00",
        "2030-03-04T11:30:00-05:00",
    )
    assert moved["title"] == "Cut and colour for Jo"
    assert [
        (s["id"], s["serviceStaffId"], s["serviceStartTime"], s["serviceEndTime"])
        for s in moved["services"]
    ] == [
        (haircut["id"], "ann", "2030-03-04T10:00:00-05:00", "2030-03-04T10:30:00-05:00"),
        (colour["id"], "bob", "2030-03-04T10:30:00-05:00", "2030-03-04T11:30:00-05:00"),
    ]
    again = await harness.call(
        "/calendars/services/bookings/{bookingId}",
        "get",
        calendars.get_service_booking_by_id(booking["bookingId"]),
    )
    assert again == without_messages(moved)

    deleted = await harness.call(
        "/calendars/services/bookings/{bookingId}",
        "delete",
        calendars.delete_service_booking(booking["bookingId"]),
    )
    assert deleted == {"success": True, "message": "Service booking deleted successfully"}
    gone = await harness.call(
        "/calendars/services/bookings",
        "get",
        calendars.get_service_bookings(location_id, ms(monday[0]), ms(monday[1])),
    )
    assert gone == {"bookings": []}
    # The spec documents no 404 here, so this refusal is checked outside the harness.
    with pytest.raises(GHLError) as missing:
        await harness.send(
            "/calendars/services/bookings/{bookingId}",
            "get",
            calendars.get_service_booking_by_id(booking["bookingId"]),
        )
    assert (missing.value.status_code, missing.value.response) == (
        404,
        {"statusCode": 404, "message": "Service booking not found", "error": "Not Found"},
    )


async def close_up(
    harness: SdkHarness, location_id: str, place: dict, haircut: dict, colour: dict
) -> None:
    """Retire the colour (the haircut stays on the menu), then the studio."""
    calendars = harness.calendars
    retired = await harness.call(
        "/calendars/services/catalog/{serviceId}",
        "delete",
        calendars.delete_service_catalog(colour["id"]),
    )
    assert retired == {"success": True, "message": "Service deleted successfully"}
    left = await harness.call(
        "/calendars/services/catalog", "get", calendars.get_services_catalog(location_id)
    )
    assert left == {"services": [haircut]}

    deleted = await harness.call(
        "/calendars/services/locations/{serviceLocationId}",
        "delete",
        calendars.delete_service_location(place["id"]),
    )
    assert deleted["success"] is True
    remaining = await harness.call(
        "/calendars/services/locations",
        "get",
        calendars.get_service_locations(location_id=location_id),
    )
    assert remaining == {"serviceLocations": []}


async def drive_services(harness: SdkHarness, location_id: str) -> None:
    # Ann's and Bob's hours for services: schedules no calendar uses (a setup step, not
    # one of the Services V2 operations, so not recorded).
    for user_id in ("ann", "bob"):
        await harness.calendars.create_schedule(
            {
                "locationId": location_id,
                "name": f"{user_id} services",
                "userId": user_id,
                "timezone": ZONE,
                "rules": MONDAY_HOURS,
            }
        )
    place = await open_studio(harness, location_id)
    haircut, colour = await stock_the_catalog(harness, location_id)
    await take_a_booking(harness, location_id, place, haircut, colour)
    await close_up(harness, location_id, place, haircut, colour)


def test_the_sdk_drives_the_services_v2_operations(server, sdk_tenant):
    sdk_tenant.client.put(
        "/admin/clock", json={"now": "2030-03-01T00:00:00Z"}, headers=ADMIN_HEADERS
    )

    async def story():
        harness = SdkHarness(server.base_url, sdk_tenant.token)
        try:
            await drive_services(harness, sdk_tenant.location_id)
        finally:
            await harness.close()
        return harness

    try:
        harness = asyncio.run(story())
    finally:
        sdk_tenant.client.delete("/admin/clock", headers=ADMIN_HEADERS)

    print("\n" + harness.table())
    assert {o.operation_id for o in harness.outcomes} == SERVICES_OPERATIONS
