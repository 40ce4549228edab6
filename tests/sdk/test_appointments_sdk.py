"""Appointments, the events list and the four note operations through the official SDK."""

import asyncio
from datetime import datetime

from sdk.harness import SdkHarness
from support.api import ADMIN_HEADERS

APPOINTMENT_OPERATIONS = {
    "create-appointment",
    "edit-appointment",
    "get-appointment",
    "get-calendar-events",
    "delete-event",
    "get-appointment-notes",
    "create-appointment-note",
    "update-appointment-note",
    "delete-appointment-note",
}


def ms(text: str) -> str:
    return str(int(datetime.fromisoformat(text).timestamp() * 1000))


async def drive_appointments(harness: SdkHarness, location_id: str) -> None:
    calendars = harness.calendars
    created = await calendars.create_calendar(
        {
            "locationId": location_id,
            "name": "Consult",
            "calendarType": "round_robin",
            "teamMembers": [{"userId": "ann"}, {"userId": "bob"}],
            "openHours": [
                {
                    "daysOfTheWeek": [1],
                    "hours": [{"openHour": 9, "openMinute": 0, "closeHour": 12, "closeMinute": 0}],
                }
            ],
        }
    )
    calendar_id = created["calendar"]["id"]

    appointment = await harness.call(
        "/calendars/events/appointments",
        "post",
        calendars.create_appointment(
            {
                "calendarId": calendar_id,
                "locationId": location_id,
                "contactId": "contact-1",
                "startTime": "2030-03-04T09:00:00-05:00",
                "title": "First call",
            }
        ),
    )
    assert appointment["assignedUserId"] == "ann"

    moved = await harness.call(
        "/calendars/events/appointments/{eventId}",
        "put",
        calendars.edit_appointment(appointment["id"], {"startTime": "2030-03-04T10:00:00-05:00"}),
    )
    assert moved["startTime"] == "2030-03-04T10:00:00-05:00"

    fetched = await harness.call(
        "/calendars/events/appointments/{eventId}",
        "get",
        calendars.get_appointment(appointment["id"]),
    )
    assert fetched["event"]["id"] == appointment["id"]

    events = await harness.call(
        "/calendars/events",
        "get",
        calendars.get_calendar_events(
            location_id=location_id,
            start_time=ms("2030-03-04T00:00:00-05:00"),
            end_time=ms("2030-03-05T00:00:00-05:00"),
            calendar_id=calendar_id,
        ),
    )
    assert [event["id"] for event in events["events"]] == [appointment["id"]]

    note = await harness.call(
        "/calendars/appointments/{appointmentId}/notes",
        "post",
        calendars.create_appointment_note(appointment["id"], {"body": "Wants a quote"}),
    )
    notes = await harness.call(
        "/calendars/appointments/{appointmentId}/notes",
        "get",
        calendars.get_appointment_notes(10, 0, appointment["id"]),
    )
    assert notes == {"notes": [note["note"]], "hasMore": False}

    # The spec gives these two operations no noteId parameter, so the generated SDK cannot
    # fill it in; its `options["url"]` carries the full path, as a client would do.
    note_path = f"/calendars/appointments/{appointment['id']}/notes/{note['note']['id']}"
    updated = await harness.call(
        "/calendars/appointments/{appointmentId}/notes/{noteId}",
        "put",
        calendars.update_appointment_note(
            appointment["id"], {"body": "Sent the quote"}, options={"url": note_path}
        ),
    )
    assert updated["note"]["body"] == "Sent the quote"
    removed = await harness.call(
        "/calendars/appointments/{appointmentId}/notes/{noteId}",
        "delete",
        calendars.delete_appointment_note(appointment["id"], options={"url": note_path}),
    )
    assert removed == {"success": True}

    deleted = await harness.call(
        "/calendars/events/{eventId}", "delete", calendars.delete_event(appointment["id"], {})
    )
    assert deleted == {"succeeded": True}


def test_the_sdk_drives_appointments_events_and_notes(server, sdk_tenant):
    sdk_tenant.client.put(
        "/admin/clock", json={"now": "2030-03-01T00:00:00Z"}, headers=ADMIN_HEADERS
    )

    async def story():
        harness = SdkHarness(server.base_url, sdk_tenant.token)
        try:
            await drive_appointments(harness, sdk_tenant.location_id)
        finally:
            await harness.close()
        return harness

    try:
        harness = asyncio.run(story())
    finally:
        sdk_tenant.client.delete("/admin/clock", headers=ADMIN_HEADERS)

    print("\n" + harness.table())
    assert {o.operation_id for o in harness.outcomes} == APPOINTMENT_OPERATIONS
