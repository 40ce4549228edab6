"""Writing to the outbox: always inside the transaction of the change being reported."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from opencalendars.db.database import Database
from opencalendars.events.models import DeliveryAttempt, OutboxMessage
from opencalendars.http.ids import new_id

# Notifications that wait for a time relative to the appointment; moved or cancelled with it.
TIMED_TOPICS = ("reminder", "followup")


def enqueue(
    session: Session,
    kind: str,
    location_id: str,
    topic: str,
    payload: dict,
    due_ms: int,
    now_ms: int,
    appointment_id: str | None = None,
    subscription_id: str | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        id=new_id(),
        kind=kind,
        location_id=location_id,
        topic=topic,
        appointment_id=appointment_id,
        subscription_id=subscription_id,
        payload=payload,
        due_ms=due_ms,
        status="pending",
        attempts=0,
        date_added_ms=now_ms,
    )
    session.add(message)
    return message


def cancel_timed(session: Session, appointment_id: str, now_ms: int) -> None:
    """Reminders and follow-ups of an appointment that have not gone out yet will not."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.appointment_id == appointment_id,
            OutboxMessage.status == "pending",
            OutboxMessage.topic.in_(TIMED_TOPICS),
        )
        .values(status="cancelled", finished_ms=now_ms)
    )


def list_messages(
    db: Database, location_id: str, status: str | None, limit: int
) -> list[tuple[OutboxMessage, list[DeliveryAttempt]]]:
    """A location's outbox, newest first, each message with its attempts."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.location_id == location_id)
        .order_by(OutboxMessage.date_added_ms.desc(), OutboxMessage.id)
        .limit(limit)
    )
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    with db.read() as session:
        messages = list(session.scalars(query))
        attempts = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.message_id.in_([m.id for m in messages]))
            .order_by(DeliveryAttempt.number)
        )
        by_message: dict[str, list[DeliveryAttempt]] = {m.id: [] for m in messages}
        for attempt in attempts:
            by_message[attempt.message_id].append(attempt)
    return [(message, by_message[message.id]) for message in messages]
