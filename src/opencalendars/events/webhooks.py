"""Webhook subscriptions (admin API) and the appointment and contact events they receive
(PRODUCT §8)."""

from collections.abc import Callable

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.admin.models import Location
from opencalendars.appointments.models import Appointment
from opencalendars.contacts.models import Contact
from opencalendars.contacts.schemas import custom_field_dto
from opencalendars.context import LocationContext
from opencalendars.db.batch import Fetch, run_plan, run_statements, single
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead
from opencalendars.errors import NotFound
from opencalendars.events.models import OutboxMessage, WebhookSubscription
from opencalendars.events.outbox import outbox_row
from opencalendars.http.json import dumps
from opencalendars.http.times import iso_local, iso_utc_ms
from opencalendars.ids import new_id
from opencalendars.zones import zone


def create_subscription(
    db: Database, location_id: str, url: str, *, events: list[str] | None
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


def contact_payload(contact: Contact) -> dict:
    """The fields of `spec/webhook-Contact*.md` after `type` and `locationId`, in its order. A
    field the contact has no value for is left out (the schema types them as strings, never
    null); `dnd`, `tags`, `attachments` and `customFields` are always there."""
    optional = {
        "address1": contact.address1,
        "city": contact.city,
        "companyName": contact.company_name,
        "country": contact.country,
        "source": contact.source,
        "dateAdded": iso_utc_ms(contact.date_added_ms),
        # A date, sent as the spec's example does: midnight UTC of that day.
        "dateOfBirth": f"{contact.date_of_birth}T00:00:00.000Z" if contact.date_of_birth else None,
        "dnd": contact.dnd,
        "email": contact.email,
        "name": contact.full_name or None,
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "phone": contact.phone,
        "postalCode": contact.postal_code,
        "state": contact.state,
        "tags": list(contact.tags),
        "website": contact.website,
        "attachments": [],
        "assignedTo": contact.assigned_to,
        "customFields": [custom_field_dto(entry) for entry in contact.custom_fields],
    }
    return {
        "id": contact.id,
        **{key: value for key, value in optional.items() if value is not None},
    }


_subscriptions = WebhookSubscription.__table__.c
# Built once: every appointment and contact change reads the location's subscriptions.
_SUBSCRIPTIONS = PreparedRead(
    select(_subscriptions.id, _subscriptions.url, _subscriptions.events).where(
        _subscriptions.location_id == bindparam("location_id")
    )
)


def subscriptions(location_id: str) -> Fetch:
    """The location's webhook subscriptions, read in the round of a change's other reads."""
    return Fetch(_SUBSCRIPTIONS, {"location_id": location_id})


def _webhook_rows(
    event_type: str,
    location_id: str,
    found: list,
    *,
    render: Callable[[], dict],
    now_ms: int,
    appointment_id: str | None,
) -> list[Fetch]:
    """The outbox rows of one message per subscription (of those `found`) that wants this
    event, each with its own `webhookId`. `render` gives the body's fields between `locationId`
    and `timestamp` (called once, and only when some subscription wants the event). The body is
    rendered now and stored as the exact bytes that will be signed and sent."""
    wanting = [
        subscription
        for subscription in found
        if subscription.events is None or event_type in subscription.events
    ]
    if not wanting:
        return []
    fields = render()
    return [
        outbox_row(
            "webhook",
            location_id,
            topic=event_type,
            payload={
                "url": subscription.url,
                "body": dumps(
                    {
                        "type": event_type,
                        "locationId": location_id,
                        **fields,
                        "timestamp": iso_utc_ms(now_ms),
                        "webhookId": new_id(),
                    }
                ).decode(),
            },
            due_ms=now_ms,
            now_ms=now_ms,
            appointment_id=appointment_id,
            subscription_id=subscription.id,
        )
        for subscription in wanting
    ]


def event_rows(
    event_type: str,
    appointment: Appointment,
    found: list,
    *,
    group_id: str | None,
    context: LocationContext,
    now_ms: int,
) -> list[Fetch]:
    """An appointment event (AppointmentCreate, AppointmentUpdate, AppointmentDelete) for the
    subscriptions `found` (the location's) that want it: their outbox rows."""
    return _webhook_rows(
        event_type,
        appointment.location_id,
        found,
        render=lambda: {"appointment": appointment_payload(appointment, group_id, context.zone)},
        now_ms=now_ms,
        appointment_id=appointment.id,
    )


def enqueue_contact_event(
    session: Session, event_type: str, contact: Contact, *, now_ms: int
) -> None:
    """A contact event (ContactCreate, ContactUpdate, ContactDelete) for the subscriptions of the
    contact's location that want it: the contact as it is now (as it was, for a delete)."""
    found = run_plan(session, single(subscriptions(contact.location_id)))
    rows = _webhook_rows(
        event_type,
        contact.location_id,
        found,
        render=lambda: contact_payload(contact),
        now_ms=now_ms,
        appointment_id=None,
    )
    run_statements(session, rows)


def enqueue_app_event(
    session: Session,
    event_type: str,
    url: str,
    *,
    location_id: str | None,
    body: dict,
    now_ms: int,
) -> None:
    """A marketplace app's own webhook (INSTALL, UNINSTALL) to its webhook URL: no
    subscription, the body as the app area wrote it, signed and sent like the others."""
    message = outbox_row(
        "webhook",
        location_id,
        topic=event_type,
        payload={"url": url, "body": dumps(body).decode()},
        due_ms=now_ms,
        now_ms=now_ms,
    )
    run_statements(session, [message])
