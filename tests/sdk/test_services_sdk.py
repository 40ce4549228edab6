"""Services V2 operations through the official SDK (service locations so far)."""

import asyncio

from sdk.harness import SdkHarness

SERVICE_LOCATION_OPERATIONS = {
    "get-service-locations",
    "create-service-location",
    "get-service-location-by-id",
    "update-service-location",
    "delete-service-location",
}


async def drive_service_locations(harness: SdkHarness, location_id: str) -> None:
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
    deleted = await harness.call(
        "/calendars/services/locations/{serviceLocationId}",
        "delete",
        calendars.delete_service_location(place["id"]),
    )
    assert deleted["success"] is True


def test_the_sdk_drives_the_service_location_operations(server, sdk_tenant):
    async def story():
        harness = SdkHarness(server.base_url, sdk_tenant.token)
        try:
            await drive_service_locations(harness, sdk_tenant.location_id)
        finally:
            await harness.close()
        return harness

    harness = asyncio.run(story())

    print("\n" + harness.table())
    assert {o.operation_id for o in harness.outcomes} == SERVICE_LOCATION_OPERATIONS
