"""The 15 calendar and schedule operations driven through the official SDK."""

import asyncio

from sdk.harness import SdkHarness

CALENDAR_OPERATIONS = {
    "get-calendars",
    "create-calendar",
    "get-calendar",
    "update-calendar",
    "delete-calendar",
    "getAllSchedules",
    "getScheduleById",
    "updateSchedule",
    "deleteSchedule",
    "createSchedule",
    "add-calendar-to-schedule",
    "remove-calendar-from-schedule",
    "createCalendarSchedule",
    "getCalendarSchedule",
    "updateCalendarSchedule",
}
WEEKDAYS = [
    {"type": "wday", "day": day, "intervals": [{"from": "09:00", "to": "17:00"}]}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
]


async def drive_calendars(harness: SdkHarness, location_id: str) -> None:
    calendars = harness.calendars

    team = await harness.call(
        "/calendars/",
        "post",
        calendars.create_calendar(
            {
                "locationId": location_id,
                "name": "Sales team",
                "calendarType": "round_robin",
                "teamMembers": [{"userId": "ann", "priority": 1}, {"userId": "bob"}],
                "slotDuration": 30,
                "slotBuffer": 10,
            }
        ),
    )
    team_id = team["calendar"]["id"]
    event = await harness.call(
        "/calendars/",
        "post",
        calendars.create_calendar({"locationId": location_id, "name": "Open day"}),
    )
    event_id = event["calendar"]["id"]

    listed = await harness.call(
        "/calendars/", "get", calendars.get_calendars(location_id=location_id, show_drafted=True)
    )
    assert sorted(c["id"] for c in listed["calendars"]) == sorted([team_id, event_id])

    fetched = await harness.call(
        "/calendars/{calendarId}", "get", calendars.get_calendar(calendar_id=team_id)
    )
    assert fetched == team

    updated = await harness.call(
        "/calendars/{calendarId}",
        "put",
        calendars.update_calendar(
            team_id, {"eventType": "RoundRobin_OptimizeForEqualDistribution"}
        ),
    )
    assert updated["calendar"]["eventType"] == "RoundRobin_OptimizeForEqualDistribution"
    assert updated["calendar"]["slotBuffer"] == 10

    created = await harness.call(
        "/calendars/schedules",
        "post",
        calendars.create_schedule(
            {
                "locationId": location_id,
                "name": "Ann's week",
                "userId": "ann",
                "timezone": "America/New_York",
                "rules": WEEKDAYS,
                "calendarIds": [team_id],
            }
        ),
    )
    schedule_id = created["schedule"]["id"]
    assert created["schedule"]["calendarIds"] == [team_id]

    found = await harness.call(
        "/calendars/schedules/search",
        "get",
        calendars.get_all_schedules(location_id=location_id, user_id="ann", skip=0, limit=10),
    )
    assert [s["id"] for s in found["schedules"]] == [schedule_id]

    read = await harness.call(
        "/calendars/schedules/{id}", "get", calendars.get_schedule_by_id(id=schedule_id)
    )
    assert read == created

    renamed = await harness.call(
        "/calendars/schedules/{id}",
        "put",
        calendars.update_schedule(schedule_id, {"name": "Ann's hours"}),
    )
    assert renamed["schedule"]["name"] == "Ann's hours"

    removed = await harness.call(
        "/calendars/schedules/{id}/associations/{calendarId}",
        "delete",
        calendars.remove_calendar_from_schedule(id=schedule_id, calendar_id=team_id),
    )
    assert removed == {"success": True}
    added = await harness.call(
        "/calendars/schedules/{id}/associations/{calendarId}",
        "put",
        calendars.add_calendar_to_schedule(id=schedule_id, calendar_id=team_id),
    )
    assert added == {"success": True}

    event_schedule = await harness.call(
        "/calendars/schedules/event-calendar/{calendarId}",
        "post",
        calendars.create_calendar_schedule(
            event_id, {"timezone": "America/New_York", "rules": WEEKDAYS}
        ),
    )
    assert event_schedule["schedule"]["calendarId"] == event_id
    fetched_schedule = await harness.call(
        "/calendars/schedules/event-calendar/{calendarId}",
        "get",
        calendars.get_calendar_schedule(calendar_id=event_id),
    )
    assert fetched_schedule == event_schedule
    moved = await harness.call(
        "/calendars/schedules/event-calendar/{calendarId}",
        "put",
        calendars.update_calendar_schedule(event_id, {"timezone": "Europe/London"}),
    )
    assert moved["schedule"]["timezone"] == "Europe/London"

    deleted_schedule = await harness.call(
        "/calendars/schedules/{id}", "delete", calendars.delete_schedule(id=schedule_id)
    )
    assert deleted_schedule == {"success": True}
    deleted = await harness.call(
        "/calendars/{calendarId}", "delete", calendars.delete_calendar(calendar_id=team_id)
    )
    assert deleted == {"success": True}


def test_the_sdk_drives_all_fifteen_calendar_and_schedule_operations(server, sdk_tenant):
    async def story():
        harness = SdkHarness(server.base_url, sdk_tenant.token)
        try:
            await drive_calendars(harness, sdk_tenant.location_id)
        finally:
            await harness.close()
        return harness

    harness = asyncio.run(story())

    print("\n" + harness.table())
    assert {o.operation_id for o in harness.outcomes} == CALENDAR_OPERATIONS
