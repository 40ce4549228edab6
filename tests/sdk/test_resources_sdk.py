"""The five resource and five notification operations through the official SDK."""

import asyncio

from sdk.harness import SdkHarness

OPERATIONS = {
    "get-calendar-resource",
    "update-calendar-resource",
    "delete-calendar-resource",
    "fetch-calendar-resources",
    "create-calendar-resource",
    "get-event-notification",
    "create-event-notification",
    "find-event-notification",
    "update-event-notification",
    "delete-event-notification",
}


async def drive_resources(harness: SdkHarness, location_id: str) -> None:
    calendars = harness.calendars
    created = await calendars.create_calendar(
        {
            "locationId": location_id,
            "name": "Spa",
            "calendarType": "service_booking",
            "teamMembers": [{"userId": "ann"}],
        }
    )
    calendar_id = created["calendar"]["id"]

    room = await harness.call(
        "/calendars/resources/{resourceType}",
        "post",
        calendars.create_calendar_resource(
            "rooms",
            {
                "locationId": location_id,
                "name": "Room 1",
                "description": "Quiet room",
                "quantity": 0,
                "outOfService": 0,
                "capacity": 2,
                "calendarIds": [calendar_id],
            },
        ),
    )
    listed = await harness.call(
        "/calendars/resources/{resourceType}",
        "get",
        calendars.fetch_calendar_resources("rooms", location_id, 10, 0),
    )
    assert [r["id"] for r in listed] == [room["id"]]
    fetched = await harness.call(
        "/calendars/resources/{resourceType}/{id}",
        "get",
        calendars.get_calendar_resource("rooms", room["id"]),
    )
    assert fetched == room
    updated = await harness.call(
        "/calendars/resources/{resourceType}/{id}",
        "put",
        calendars.update_calendar_resource("rooms", room["id"], {"capacity": 3}),
    )
    assert updated["capacity"] == 3
    removed = await harness.call(
        "/calendars/resources/{resourceType}/{id}",
        "delete",
        calendars.delete_calendar_resource("rooms", room["id"]),
    )
    assert removed == {"success": True}

    made = await harness.call(
        "/calendars/{calendarId}/notifications",
        "post",
        calendars.create_event_notification(
            calendar_id,
            [
                {
                    "receiverType": "contact",
                    "channel": "email",
                    "notificationType": "reminder",
                    "beforeTime": [{"timeOffset": 1, "unit": "days"}],
                }
            ],
        ),
    )
    notification_id = made[0]["_id"]
    everything = await harness.call(
        "/calendars/{calendarId}/notifications",
        "get",
        calendars.get_event_notification(calendar_id, is_active=True, limit=10, skip=0),
    )
    assert [n["_id"] for n in everything] == [notification_id]
    one = await harness.call(
        "/calendars/{calendarId}/notifications/{notificationId}",
        "get",
        calendars.find_event_notification(calendar_id, notification_id),
    )
    assert one == made[0]
    changed = await harness.call(
        "/calendars/{calendarId}/notifications/{notificationId}",
        "put",
        calendars.update_event_notification(calendar_id, notification_id, {"subject": "Soon"}),
    )
    assert changed == {"message": "Notification updated successfully"}
    gone = await harness.call(
        "/calendars/{calendarId}/notifications/{notificationId}",
        "delete",
        calendars.delete_event_notification(calendar_id, notification_id),
    )
    assert gone == {"message": "Notification deleted successfully"}


def test_the_sdk_drives_resources_and_notifications(server, sdk_tenant):
    async def story():
        harness = SdkHarness(server.base_url, sdk_tenant.token)
        try:
            await drive_resources(harness, sdk_tenant.location_id)
        finally:
            await harness.close()
        return harness

    harness = asyncio.run(story())

    print("\n" + harness.table())
    assert {o.operation_id for o in harness.outcomes} == OPERATIONS
