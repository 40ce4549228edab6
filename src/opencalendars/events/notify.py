"""Which calendar notifications an appointment change sends, and when (PRODUCT §8).

`booked`, `confirmation`, `cancellation` and `reschedule` go out when those happen;
`reminder`s at each `beforeTime` offset before the start and `followup`s at each `afterTime`
offset after the end wait in the outbox, due on the server clock, and are cancelled or moved
with the appointment. `toNotify: false` sends nothing. Messages are rendered when queued (the
contact as it is then); the contact's email and phone are looked up when they are sent (worker.py).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, select

from opencalendars.appointments.models import Appointment
from opencalendars.calendars.models import Calendar
from opencalendars.contacts.placeholders import BookedContact, contact_placeholders, named_contact
from opencalendars.db.batch import Fetch, Plan, single
from opencalendars.db.prepared import PreparedRead
from opencalendars.events.outbox import outbox_row
from opencalendars.notifications.models import CalendarNotification
from opencalendars.templates import render
from opencalendars.units import to_ms
from opencalendars.zones import zone

# Email subjects and bodies of notifications that set none.
DEFAULT_TEXTS = {
    "booked": (
        "Booked: {{appointment.title}}",
        "{{appointment.title}} with {{calendar.name}} is booked for {{appointment.start_time}}.",
    ),
    "confirmation": (
        "Confirmed: {{appointment.title}}",
        "{{appointment.title}} with {{calendar.name}} is confirmed for {{appointment.start_time}}.",
    ),
    "cancellation": (
        "Cancelled: {{appointment.title}}",
        "{{appointment.title}} with {{calendar.name}} on {{appointment.start_time}} is cancelled.",
    ),
    "reschedule": (
        "Rescheduled: {{appointment.title}}",
        "{{appointment.title}} with {{calendar.name}} is now on {{appointment.start_time}}.",
    ),
    "reminder": (
        "Reminder: {{appointment.title}}",
        "{{appointment.title}} with {{calendar.name}} starts at {{appointment.start_time}}.",
    ),
    "followup": (
        "Thank you: {{appointment.title}}",
        "Thank you for your visit: {{appointment.title}} with {{calendar.name}}.",
    ),
}
SENT_CHANNELS = {"email": "email", "sms": "sms", "whatsapp": "sms"}  # channel -> outbox kind


@dataclass(frozen=True)
class Snapshot:
    """What of an appointment decides its notifications."""

    status: str
    start_ms: int
    end_ms: int
    occupies: bool
    to_notify: bool


def snapshot(appointment: Appointment) -> Snapshot:
    return Snapshot(
        status=appointment.status,
        start_ms=appointment.start_ms,
        end_ms=appointment.end_ms,
        occupies=appointment.occupies,
        to_notify=appointment.details.get("toNotify", True) is not False,
    )


def topics_now(before: Snapshot | None, after: Snapshot, deleted: bool) -> list[str]:
    """The notification types a change sends at once."""
    if deleted or not after.to_notify:
        return []
    if before is None:
        if not after.occupies:
            return []
        return ["booked", *(["confirmation"] if after.status == "confirmed" else [])]
    if after.status == "cancelled" and before.status != "cancelled":
        return ["cancellation"]
    topics = []
    if after.occupies and after.status == "confirmed" and before.status != "confirmed":
        topics.append("confirmation")
    if after.occupies and (after.start_ms, after.end_ms) != (before.start_ms, before.end_ms):
        topics.append("reschedule")
    return topics


def timed_plan(before: Snapshot | None, after: Snapshot, deleted: bool) -> tuple[bool, bool]:
    """`(cancel the queued reminders and follow-ups, queue them for the current times)`."""
    if deleted or not after.occupies or not after.to_notify:
        return before is not None, False
    if before is None:
        return False, True
    moved = (after.start_ms, after.end_ms) != (before.start_ms, before.end_ms)
    resumed = not before.occupies or not before.to_notify
    return (True, True) if moved or resumed else (False, False)


def human_time(epoch_ms: int, zone_name: str) -> str:
    """`Monday, March 2, 2026 9:00 AM EST`."""
    local = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC).astimezone(zone(zone_name))
    hour = local.strftime("%I").lstrip("0")
    return f"{local:%A, %B} {local.day}, {local.year} {hour}:{local:%M %p %Z}"


def placeholders(
    appointment: Appointment,
    calendar: Calendar | None,
    zone_name: str,
    *,
    contact: BookedContact | None = None,
) -> dict:
    """What a notification's subject and body may name; `contact` is the appointment's live
    contact (None: its `{{contact.*}}` but the id are empty)."""
    return {
        **contact_placeholders(appointment.contact_id, contact),
        "appointment.id": appointment.id,
        "appointment.title": appointment.title,
        "appointment.status": appointment.status,
        "appointment.start_time": human_time(appointment.start_ms, zone_name),
        "appointment.end_time": human_time(appointment.end_ms, zone_name),
        "appointment.timezone": zone_name,
        "calendar.id": appointment.calendar_id,
        "calendar.name": calendar.name if calendar is not None else "",
        "location.id": appointment.location_id,
        "user.id": appointment.assigned_user_id or "",
    }


def due_times(fields: dict, appointment: Appointment, topics: list[str], *, timed: bool) -> list:
    """`(topic, due_ms or None for now)` for one notification."""
    kind = fields["notificationType"]
    if kind in topics:
        return [(kind, None)]
    if not timed:
        return []
    if kind == "reminder":
        return [
            (kind, appointment.start_ms - to_ms(o["timeOffset"], o["unit"]))
            for o in fields.get("beforeTime", [])
        ]
    if kind == "followup":
        return [
            (kind, appointment.end_ms + to_ms(o["timeOffset"], o["unit"]))
            for o in fields.get("afterTime", [])
        ]
    return []


def recipients(fields: dict, appointment: Appointment) -> dict:
    """Who a notification is for, as the worker resolves addresses (see docs/events.md)."""
    receiver = fields["receiverType"]
    if receiver == "assignedUser":
        user_ids = appointment.people
    elif receiver == "business":
        user_ids = fields.get("selectedUsers", [])
    else:
        user_ids = []
    return {
        "receiverType": receiver,
        "contactId": appointment.contact_id if receiver in ("contact", "guest") else None,
        "userIds": user_ids,
        "emails": fields.get("additionalEmailIds", []),
        "phoneNumbers": fields.get("additionalPhoneNumbers", []),
    }


_notifications = CalendarNotification.__table__.c
# Built once: every appointment change that sends something reads these.
_ACTIVE_NOTIFICATIONS = PreparedRead(
    select(_notifications.id, _notifications.fields)
    .where(
        _notifications.calendar_id == bindparam("calendar_id"),
        _notifications.deleted.is_(False),
        _notifications.is_active.is_(True),
    )
    .order_by(_notifications.date_added_ms, _notifications.position)
)


def active_notifications(calendar_id: str) -> Fetch:
    """The calendar's active notifications, read in the round of a change's other reads."""
    return Fetch(_ACTIVE_NOTIFICATIONS, {"calendar_id": calendar_id})


def notification_rows(
    appointment: Appointment,
    calendar: Calendar | None,
    *,
    notifications: list,
    zone_name: str,
    topics: list[str],
    timed: bool,
    now_ms: int,
    contact: Plan[BookedContact | None] | None = None,
) -> Plan[list[Fetch]]:
    """The outbox rows of the email, SMS and WhatsApp messages this change sends of
    `notifications` (the calendar's active ones). In-app notifications have no channel here;
    timed ones already past are skipped. A plan (db/batch.py): the appointment's contact is
    read, once, only when something is queued (`contact`: how to get it, when the caller has
    read it already)."""
    if not topics and not timed:
        return []
    sent = [
        (notification.id, fields, kind, topic, due_ms)
        for notification in notifications
        if (kind := SENT_CHANNELS.get((fields := notification.fields)["channel"])) is not None
        for topic, due_ms in due_times(fields, appointment, topics, timed=timed)
        if due_ms is None or due_ms >= now_ms
    ]
    if not sent:
        return []
    if contact is None:
        contact = single(named_contact(appointment.location_id, appointment.contact_id))
    values = placeholders(appointment, calendar, zone_name, contact=(yield from contact))
    return [
        outbox_row(
            kind,
            appointment.location_id,
            topic=topic,
            payload=_message(
                fields,
                appointment,
                notification_id=notification_id,
                kind=kind,
                topic=topic,
                values=values,
            ),
            due_ms=now_ms if due_ms is None else due_ms,
            now_ms=now_ms,
            appointment_id=appointment.id,
        )
        for notification_id, fields, kind, topic, due_ms in sent
    ]


def _message(
    fields: dict,
    appointment: Appointment,
    *,
    notification_id: str,
    kind: str,
    topic: str,
    values: dict,
) -> dict:
    """A notification's message, rendered with `values` (its texts' placeholders)."""
    subject, body = DEFAULT_TEXTS[topic]
    payload = {
        "channel": fields["channel"],
        "notificationId": notification_id,
        "notificationType": topic,
        "appointmentId": appointment.id,
        "locationId": appointment.location_id,
        **recipients(fields, appointment),
        "body": render(fields.get("body") or body, values),
    }
    if kind == "email":
        payload["subject"] = render(fields.get("subject") or subject, values)
        payload["fromAddress"] = fields.get("fromAddress")
        payload["fromName"] = fields.get("fromName")
    else:
        payload["fromNumber"] = fields.get("fromNumber")
    return payload
