"""Free slots and the four block-slot operations driven through the official SDK."""

import asyncio
from datetime import datetime

from sdk.harness import SdkHarness

SLOT_OPERATIONS = {
    "get-slots",
    "create-block-slot",
    "edit-block-slot",
    "get-blocked-slots",
    "delete-event",
}


def ms(text: str) -> float:
    # The SDK types these as floats; typed clients send them that way.
    return float(datetime.fromisoformat(text).timestamp() * 1000)


async def drive_slots(harness: SdkHarness, location_id: str) -> None:
    calendars = harness.calendars
    created = await calendars.create_calendar(
        {
            "locationId": location_id,
            "name": "Advice",
            "calendarType": "personal",
            "teamMembers": [{"userId": "ann"}],
            "openHours": [
                {
                    "daysOfTheWeek": [1],
                    "hours": [{"openHour": 9, "openMinute": 0, "closeHour": 11, "closeMinute": 0}],
                }
            ],
        }
    )
    calendar_id = created["calendar"]["id"]
    monday = ("2030-03-04T00:00:00-05:00", "2030-03-04T23:59:59-05:00")

    slots = await harness.call(
        "/calendars/{calendarId}/free-slots",
        "get",
        calendars.get_slots(calendar_id, ms(monday[0]), ms(monday[1])),
    )
    assert slots == {
        "2030-03-04": {
            "slots": [
                "2030-03-04T09:00:00-05:00",
                "2030-03-04T09:30:00-05:00",
                "2030-03-04T10:00:00-05:00",
                "2030-03-04T10:30:00-05:00",
            ]
        }
    }

    blocked = await harness.call(
        "/calendars/events/block-slots",
        "post",
        calendars.create_block_slot(
            {
                "locationId": location_id,
                "calendarId": calendar_id,
                "title": "Team meeting",
                "startTime": "2030-03-04T09:00:00-05:00",
                "endTime": "2030-03-04T10:00:00-05:00",
            }
        ),
    )
    edited = await harness.call(
        "/calendars/events/block-slots/{eventId}",
        "put",
        calendars.edit_block_slot(
            blocked["id"],
            {
                "locationId": location_id,
                "calendarId": calendar_id,
                "endTime": "2030-03-04T09:30:00-05:00",
            },
        ),
    )
    assert edited["endTime"] == "2030-03-04T09:30:00-05:00"

    listed = await harness.call(
        "/calendars/blocked-slots",
        "get",
        calendars.get_blocked_slots(
            location_id=location_id,
            start_time=str(int(ms(monday[0]))),
            end_time=str(int(ms(monday[1]))),
            calendar_id=calendar_id,
        ),
    )
    assert [event["id"] for event in listed["events"]] == [blocked["id"]]

    slots = await harness.call(
        "/calendars/{calendarId}/free-slots",
        "get",
        calendars.get_slots(calendar_id, ms(monday[0]), ms(monday[1]), timezone="UTC"),
    )
    assert slots == {
        "2030-03-04": {
            "slots": [
                "2030-03-04T14:30:00+00:00",
                "2030-03-04T15:00:00+00:00",
                "2030-03-04T15:30:00+00:00",
            ]
        }
    }

    deleted = await harness.call(
        "/calendars/events/{eventId}", "delete", calendars.delete_event(blocked["id"], {})
    )
    assert deleted == {"succeeded": True}


def test_the_sdk_drives_free_slots_and_block_slots(server, sdk_tenant):
    async def story():
        harness = SdkHarness(server.base_url, sdk_tenant.token)
        try:
            await drive_slots(harness, sdk_tenant.location_id)
        finally:
            await harness.close()
        return harness

    harness = asyncio.run(story())

    print("\n" + harness.table())
    assert {o.operation_id for o in harness.outcomes} == SLOT_OPERATIONS
