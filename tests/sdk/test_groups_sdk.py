"""The six calendar-group operations driven through the official SDK."""

import asyncio

import pytest
from highlevel.error import GHLError

from sdk.harness import SdkHarness


async def drive_groups(harness: SdkHarness, location_id: str) -> None:
    calendars = harness.calendars

    created = await harness.call(
        "/calendars/groups",
        "post",
        calendars.create_calendar_group(
            {"locationId": location_id, "name": "Team", "description": "Our team", "slug": "team"}
        ),
    )
    group_id = created["group"]["id"]
    assert created["group"] == {
        "locationId": location_id,
        "name": "Team",
        "description": "Our team",
        "slug": "team",
        "isActive": True,
        "id": group_id,
    }

    listed = await harness.call(
        "/calendars/groups", "get", calendars.get_groups(location_id=location_id)
    )
    assert listed == {"groups": [created["group"]]}

    taken = await harness.call(
        "/calendars/groups/validate-slug",
        "post",
        calendars.validate_groups_slug({"locationId": location_id, "slug": "team"}),
    )
    assert taken == {"available": False}

    edited = await harness.call(
        "/calendars/groups/{groupId}",
        "put",
        calendars.edit_group(
            group_id, {"name": "Sales", "description": "Sales team", "slug": "sales"}
        ),
    )
    assert edited["group"]["slug"] == "sales"

    disabled = await harness.call(
        "/calendars/groups/{groupId}/status",
        "put",
        calendars.disable_group(group_id, {"isActive": False}),
    )
    assert disabled == {"success": True}

    deleted = await harness.call(
        "/calendars/groups/{groupId}", "delete", calendars.delete_group(group_id)
    )
    assert deleted == {"success": True}

    listed = await harness.call(
        "/calendars/groups", "get", calendars.get_groups(location_id=location_id)
    )
    assert listed == {"groups": []}


def test_the_sdk_drives_all_six_group_operations(server, sdk_tenant):
    async def story():
        harness = SdkHarness(server.base_url, sdk_tenant.token)
        try:
            await drive_groups(harness, sdk_tenant.location_id)
        finally:
            await harness.close()
        return harness

    harness = asyncio.run(story())

    print("\n" + harness.table())
    assert {o.operation_id for o in harness.outcomes} == {
        "get-groups",
        "create-calendar-group",
        "validate-groups-slug",
        "delete-group",
        "edit-group",
        "disable-group",
    }


def test_the_sdk_surfaces_our_errors(server, sdk_tenant):
    async def story():
        harness = SdkHarness(server.base_url, sdk_tenant.token)
        try:
            body = {
                "locationId": sdk_tenant.location_id,
                "name": "A",
                "description": "",
                "slug": "a",
            }
            await harness.calendars.create_calendar_group(body)
            with pytest.raises(GHLError) as refused:
                await harness.calendars.create_calendar_group(body)
            return refused.value
        finally:
            await harness.close()

    error = asyncio.run(story())

    assert error.status_code == 400
    assert error.message == "slug is already used by another group of this location"
