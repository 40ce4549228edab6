"""The one interface the areas emit events through, inside the changing transaction: an
appointment change (`appointment_changed`, with the `snapshot` of the appointment before an edit;
or `appointment_events`, the statements for a transaction written as a plan) queues the webhook
events of the location's subscriptions, the calendar's notifications and the write-back of the
appointment to its users' CalDAV calendars (sync/writeback.py); a contact change
(`contact_changed`) queues the contact webhooks; an app's install or uninstall (`app_event`)
queues its webhook to the app. Nothing else of `events/` is called by the areas
(docs/architecture.md "Layers")."""

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from opencalendars.appointments.models import Appointment
from opencalendars.calendars.models import Calendar
from opencalendars.contacts.models import Contact
from opencalendars.context import LocationContext
from opencalendars.db.batch import Fetch, Plan, run_plan, run_statements, together
from opencalendars.db.prepared import PreparedRead
from opencalendars.events.notify import (
    Snapshot,
    notification_rows,
    snapshot,
    timed_plan,
    topics_now,
)
from opencalendars.events.outbox import cancel_timed
from opencalendars.events.webhooks import enqueue_app_event, enqueue_contact_event, event_rows
from opencalendars.sync.writeback import write_rows

__all__ = [
    "app_event",
    "appointment_changed",
    "appointment_events",
    "contact_changed",
    "snapshot",
]

_calendars = Calendar.__table__.c
# Built once: the calendar's group and name, for the payload and the notification texts.
_CALENDAR = PreparedRead(
    select(_calendars.id, _calendars.group_id, _calendars.name).where(
        _calendars.id == bindparam("calendar_id")
    )
)


def appointment_events(
    event_type: str,
    appointment: Appointment,
    *,
    context: LocationContext,
    now_ms: int,
    calendar: tuple | None,
    before: Snapshot | None = None,
    master: Appointment | None = None,
) -> Plan[list[Fetch]]:
    """What an appointment change queues, as statements for the transaction that writes it: the
    webhook events of the location's subscriptions, the calendar's notifications (its timed ones
    moved or cancelled with the appointment), the write-back to the users' CalDAV calendars. A
    plan (db/batch.py): what the three read (the subscriptions, the notifications, the
    write-back connections) goes out in one round.

    `event_type` is AppointmentCreate, AppointmentUpdate or AppointmentDelete, at `now_ms` (the
    change's own server-clock instant); `calendar` is the appointment's calendar row (None:
    deleted); `before` is the appointment as it was, for an update; `master` is the series an
    occurrence was detached from."""
    deleted = event_type == "AppointmentDelete"
    current = snapshot(appointment)
    cancel, schedule = timed_plan(before, current, deleted)
    webhooks, notifications, write_back = yield from together(
        event_rows(
            event_type,
            appointment,
            group_id=calendar.group_id if calendar is not None else None,
            context=context,
            now_ms=now_ms,
        ),
        notification_rows(
            appointment,
            calendar,
            zone_name=context.zone,
            topics=topics_now(before, current, deleted),
            # Occurrences of a series are not single rows: their reminders are not queued.
            timed=schedule and not appointment.is_series,
            now_ms=now_ms,
        ),
        # Write-back to the users' CalDAV calendars (sync/writeback.py), by the worker.
        write_rows(event_type, appointment, master=master, now_ms=now_ms),
    )
    cancelled = [cancel_timed(appointment.id, now_ms)] if cancel else []
    return [*cancelled, *webhooks, *notifications, *write_back]


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
    """`appointment_events` queued in the session's transaction, for a change the session has
    written (or will flush at commit); `calendar` is the appointment's calendar row when the
    caller has read it already."""
    if calendar is None or calendar.id != appointment.calendar_id:
        calendar = _CALENDAR.first(session, {"calendar_id": appointment.calendar_id})
    master = (
        None
        if appointment.master_event_id is None
        else session.get(Appointment, appointment.master_event_id)
    )
    events = appointment_events(
        event_type,
        appointment,
        context=context,
        now_ms=now_ms,
        calendar=calendar,
        before=before,
        master=master,
    )
    run_statements(session, run_plan(session, events))


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
