"""The one interface the areas emit events through, inside the changing transaction: an
appointment change (`appointment_changed`, with the `snapshot` of the appointment before an edit;
or `event_reads` and `appointment_messages`, for a transaction written as a plan) queues the webhook
events of the location's subscriptions, the calendar's notifications and the write-back of the
appointment to its users' CalDAV calendars (sync/writeback.py); a contact change
(`contact_changed`) queues the contact webhooks; an app's install or uninstall (`app_event`)
queues its webhook to the app. Nothing else of `events/` is called by the areas
(docs/architecture.md "Layers")."""

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from opencalendars.appointments.models import Appointment
from opencalendars.calendars.models import Calendar
from opencalendars.contacts.models import Contact
from opencalendars.contacts.placeholders import BookedContact
from opencalendars.context import LocationContext
from opencalendars.db.batch import Fetch, Plan, run_plan, run_statements
from opencalendars.db.prepared import PreparedRead
from opencalendars.events.notify import (
    Snapshot,
    active_notifications,
    notification_rows,
    snapshot,
    timed_plan,
    topics_now,
)
from opencalendars.events.outbox import cancel_timed
from opencalendars.events.webhooks import (
    enqueue_app_event,
    enqueue_contact_event,
    event_rows,
    subscriptions,
)
from opencalendars.sync.writeback import write_back_connections, write_rows

__all__ = [
    "app_event",
    "appointment_changed",
    "appointment_messages",
    "contact_changed",
    "event_reads",
    "snapshot",
]

_calendars = Calendar.__table__.c
# Built once: the calendar's group and name, for the payload and the notification texts.
_CALENDAR = PreparedRead(
    select(_calendars.id, _calendars.group_id, _calendars.name).where(
        _calendars.id == bindparam("calendar_id")
    )
)


@dataclass(frozen=True)
class EventReads:
    """What an appointment change's messages are made of, read in one round: the location's
    webhook subscriptions, the calendar's active notifications, the write-back connections of
    the appointment (and of the series an occurrence was detached from)."""

    subscriptions: list
    notifications: list
    connections: list
    master_connections: list


def event_reads(
    location_id: str,
    calendar_id: str,
    *,
    appointment_id: str,
    users: list[str],
    master: Appointment | None = None,
) -> Plan[EventReads]:
    """`EventReads` for an appointment of the location's calendar that occupies some of `users`
    (a booking, which reads them in the round of its checks, names every member who could be
    booked). A plan (db/batch.py) of one round."""
    series = (
        [] if master is None else [write_back_connections(location_id, master.people, master.id)]
    )
    found = yield [
        subscriptions(location_id),
        active_notifications(calendar_id),
        write_back_connections(location_id, users, appointment_id),
        *series,
    ]
    return EventReads(*found[:3], master_connections=found[3] if series else [])


def appointment_messages(
    event_type: str,
    appointment: Appointment,
    reads: EventReads,
    *,
    context: LocationContext,
    now_ms: int,
    calendar: tuple | None,
    before: Snapshot | None = None,
    master: Appointment | None = None,
    contact: Plan[BookedContact | None] | None = None,
) -> Plan[list[Fetch]]:
    """What an appointment change queues, as statements for the transaction that writes it: the
    webhook events of the location's subscriptions, the calendar's notifications (its timed ones
    moved or cancelled with the appointment), the write-back to the users' CalDAV calendars. A
    plan (db/batch.py): it reads the contact, only when a notification is sent.

    `event_type` is AppointmentCreate, AppointmentUpdate or AppointmentDelete, at `now_ms` (the
    change's own server-clock instant); `reads` are `event_reads`' for it; `calendar` is the
    appointment's calendar row (None: deleted); `before` is the appointment as it was, for an
    update; `master` is the series an occurrence was detached from; `contact`, the appointment's
    contact when the caller has read it (a booking: `db.batch.done(contact)`), else it is read
    when a notification is sent."""
    deleted = event_type == "AppointmentDelete"
    current = snapshot(appointment)
    cancel, schedule = timed_plan(before, current, deleted)
    notifications = yield from notification_rows(
        appointment,
        calendar,
        notifications=reads.notifications,
        zone_name=context.zone,
        topics=topics_now(before, current, deleted),
        # Occurrences of a series are not single rows: their reminders are not queued.
        timed=schedule and not appointment.is_series,
        now_ms=now_ms,
        contact=contact,
    )
    return [
        *([cancel_timed(appointment.id, now_ms)] if cancel else []),
        *event_rows(
            event_type,
            appointment,
            reads.subscriptions,
            group_id=calendar.group_id if calendar is not None else None,
            context=context,
            now_ms=now_ms,
        ),
        *notifications,
        # Write-back to the users' CalDAV calendars (sync/writeback.py), by the worker.
        *write_rows(
            event_type,
            appointment,
            reads.connections,
            master=master,
            master_connections=reads.master_connections,
            now_ms=now_ms,
        ),
    ]


def appointment_changed(
    session: Session,
    event_type: str,
    appointment: Appointment,
    *,
    context: LocationContext,
    now_ms: int,
    before: Snapshot | None = None,
    calendar: tuple | None = None,
) -> None:
    """`appointment_messages` queued in the session's transaction, for a change the session has
    written (or will flush at commit); `calendar` is the appointment's calendar row when the
    caller has read it already."""
    if calendar is None or calendar.id != appointment.calendar_id:
        calendar = _CALENDAR.first(session, {"calendar_id": appointment.calendar_id})
    master = (
        None
        if appointment.master_event_id is None
        else session.get(Appointment, appointment.master_event_id)
    )
    reads = run_plan(
        session,
        event_reads(
            appointment.location_id,
            appointment.calendar_id,
            appointment_id=appointment.id,
            users=appointment.people,
            master=master,
        ),
    )
    messages = appointment_messages(
        event_type,
        appointment,
        reads,
        context=context,
        now_ms=now_ms,
        calendar=calendar,
        before=before,
        master=master,
    )
    run_statements(session, run_plan(session, messages))


def contact_changed(session: Session, event_type: str, contact: Contact, *, now_ms: int) -> None:
    """`event_type` is ContactCreate, ContactUpdate or ContactDelete, at `now_ms`."""
    enqueue_contact_event(session, event_type, contact, now_ms=now_ms)


def app_event(
    session: Session,
    event_type: str,
    webhook_url: str | None,
    *,
    location_id: str | None,
    body: dict,
    now_ms: int,
) -> None:
    """`event_type` is INSTALL or UNINSTALL, `body` its payload, for the app's webhook URL
    (nothing when the app has none); `location_id` None for a company's install."""
    if webhook_url is not None:
        enqueue_app_event(
            session, event_type, webhook_url, location_id=location_id, body=body, now_ms=now_ms
        )
