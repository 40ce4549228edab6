"""The `.ics` of a booking (RFC 5545), made with the `icalendar` library: one VEVENT with the
appointment's id as UID, its times in UTC, the calendar's name as SUMMARY, and the contact as
ATTENDEE when it has an email. METHOD:PUBLISH: a file to add, not an invitation to answer."""

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

PRODUCT_ID = "-//OpenCalendars//Booking widget//EN"
STATUSES = {"confirmed": "CONFIRMED", "cancelled": "CANCELLED", "invalid": "CANCELLED"}


def _utc(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)


def appointment_ics(
    *,
    appointment_id: str,
    start_ms: int,
    end_ms: int,
    status: str,
    summary: str,
    description: str,
    address: str | None,
    attendee_email: str | None,
    attendee_name: str | None,
    host: str,
    now_ms: int,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment_id}@{host}")
    event.add("dtstamp", _utc(now_ms))
    event.add("dtstart", _utc(start_ms))
    event.add("dtend", _utc(end_ms))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if address:
        event.add("location", address)
    event.add("status", STATUSES.get(status, "TENTATIVE"))
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        if attendee_name:
            attendee.params["cn"] = vText(attendee_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()
