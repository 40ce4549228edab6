"""Wire shapes of the events admin API (ours, outside the HighLevel contract)."""

from typing import Annotated, Literal

from pydantic import Field, field_validator

from opencalendars.events.models import DeliveryAttempt, OutboxMessage, WebhookSubscription
from opencalendars.http.times import iso_utc_ms
from opencalendars.http.validation import RequestDTO

EventType = Literal[
    "AppointmentCreate",
    "AppointmentUpdate",
    "AppointmentDelete",
    "ContactCreate",
    "ContactUpdate",
    "ContactDelete",
]


class WebhookCreateDTO(RequestDTO):
    locationId: Annotated[str, Field(min_length=1, max_length=64)]
    url: Annotated[str, Field(min_length=1, max_length=2048)]
    events: Annotated[list[EventType], Field(min_length=1)] | None = None

    @field_validator("url")
    @classmethod
    def http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


def webhook_dto(subscription: WebhookSubscription) -> dict:
    return {
        "id": subscription.id,
        "locationId": subscription.location_id,
        "url": subscription.url,
        "events": subscription.events,
        "dateAdded": iso_utc_ms(subscription.date_added_ms),
    }


def attempt_dto(attempt: DeliveryAttempt) -> dict:
    return {
        "number": attempt.number,
        "worker": attempt.worker,
        "startedAt": iso_utc_ms(attempt.started_ms),
        "finishedAt": iso_utc_ms(attempt.finished_ms) if attempt.finished_ms else None,
        "outcome": attempt.outcome,
        "statusCode": attempt.status_code,
        "error": attempt.error,
    }


def message_dto(message: OutboxMessage, attempts: list[DeliveryAttempt]) -> dict:
    return {
        "id": message.id,
        "kind": message.kind,
        "topic": message.topic,
        "status": message.status,
        "appointmentId": message.appointment_id,
        # The subscription it goes to (`/admin/webhooks` ids), None for a notification. Not
        # `webhookId`: that is the id of one delivery, inside a webhook's body (docs/events.md).
        "subscriptionId": message.subscription_id,
        "dueAt": iso_utc_ms(message.due_ms),
        "attempts": [attempt_dto(attempt) for attempt in attempts],
        "lastError": message.last_error,
        "payload": message.payload,
    }
