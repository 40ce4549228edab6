"""Webhook subscriptions (admin API) and the appointment events they receive (PRODUCT §8)."""

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.admin.models import Location
from opencalendars.appointments.models import Appointment
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead
from opencalendars.events.models import OutboxMessage, WebhookSubscription
from opencalendars.events.outbox import enqueue
from opencalendars.http.errors import NotFound
from opencalendars.http.ids import new_id
from opencalendars.http.json import dumps
from opencalendars.http.times import iso_local, iso_utc_ms
from opencalendars.zones import zone

EVENT_TYPES = ("AppointmentCreate", "AppointmentUpdate", "AppointmentDelete")


def create_subscription(
    db: Database, location_id: str, url: str, events: list[str] | None
) -> WebhookSubscription:
    with db.write() as session:
        if session.get(Location, location_id) is None:
            raise NotFound("Location not found")
        subscription = WebhookSubscription(
            id=new_id(),
            location_id=location_id,
            url=url,
            events=events,
            date_added_ms=clock.now_ms(session),
        )
        session.add(subscription)
    return subscription


def list_subscriptions(db: Database, location_id: str | None) -> list[WebhookSubscription]:
    query = select(WebhookSubscription).order_by(
        WebhookSubscription.date_added_ms, WebhookSubscription.id
    )
    if location_id is not None:
        query = query.where(WebhookSubscription.location_id == location_id)
    with db.read() as session:
        return list(session.scalars(query))


def delete_subscription(db: Database, subscription_id: str) -> None:
    """Gone at once: events not yet delivered to it are cancelled."""
    with db.write() as session:
        if session.get(WebhookSubscription, subscription_id) is None:
            raise NotFound("Webhook not found")
        session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.subscription_id == subscription_id,
                OutboxMessage.status == "pending",
            )
            .values(status="cancelled", finished_ms=clock.now_ms(session))
        )
        session.execute(
            delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
        )


def appointment_payload(appointment: Appointment, group_id: str | None, location_zone: str) -> dict:
    """The `appointment` object of `spec/webhook-Appointment*.md`, times in the location's zone."""
    shown_in = zone(location_zone)
    details = appointment.details
    return {
        "id": appointment.id,
        "address": details.get("address", ""),
        "title": appointment.title,
        "calendarId": appointment.calendar_id,
        "contactId": appointment.contact_id,
        "groupId": group_id or "",
        "appointmentStatus": appointment.status,
        "assignedUserId": appointment.assigned_user_id or "",
        "users": appointment.people,
        "notes": details.get("description", ""),
        "source": details.get("createdBy", {}).get("source", "third_party"),
        "startTime": iso_local(appointment.start_ms, shown_in),
        "endTime": iso_local(appointment.end_ms, shown_in),
        "dateAdded": iso_local(appointment.date_added_ms, shown_in),
        "dateUpdated": iso_local(appointment.date_updated_ms, shown_in),
    }


_subscriptions = WebhookSubscription.__table__.c
# Built once: every appointment change reads the location's subscriptions.
_SUBSCRIPTIONS = PreparedRead(
    select(_subscriptions.id, _subscriptions.url, _subscriptions.events).where(
        _subscriptions.location_id == bindparam("location_id")
    )
)


def enqueue_event(
    session: Session,
    event_type: str,
    appointment: Appointment,
    group_id: str | None,
    location_zone: str,
    now_ms: int,
) -> None:
    """One outbox message per subscription that wants this event, with its own `webhookId`.
    The body is rendered now and stored as the exact bytes that will be signed and sent."""
    subscriptions = _SUBSCRIPTIONS.all(session, {"location_id": appointment.location_id})
    payload = appointment_payload(appointment, group_id, location_zone)
    for subscription in subscriptions:
        if subscription.events is not None and event_type not in subscription.events:
            continue
        body = {
            "type": event_type,
            "locationId": appointment.location_id,
            "appointment": payload,
            "timestamp": iso_utc_ms(now_ms),
            "webhookId": new_id(),
        }
        enqueue(
            session,
            "webhook",
            appointment.location_id,
            event_type,
            {"url": subscription.url, "body": dumps(body).decode()},
            due_ms=now_ms,
            now_ms=now_ms,
            appointment_id=appointment.id,
            subscription_id=subscription.id,
        )
