"""Writing to the outbox: always inside the transaction of the change being reported."""

from collections.abc import Sequence

from sqlalchemy import bindparam, insert, select, update

from opencalendars import clock
from opencalendars.db.batch import Fetch
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead
from opencalendars.db.queries import one_or_not_found
from opencalendars.errors import Conflict
from opencalendars.events.models import DeliveryAttempt, OutboxMessage
from opencalendars.ids import new_id

# Notifications that wait for a time relative to the appointment; moved or cancelled with it.
TIMED_TOPICS = ("reminder", "followup")


_outbox = OutboxMessage.__table__
# Built once: a message's row, as a statement of a plan's round (db/batch.py), so that a change
# and the messages it queues go out together: on PostgreSQL, a booking's in the pipeline that
# commits it. RETURNING makes every engine answer it as it answers a read.
_INSERT_MESSAGE = PreparedRead(insert(_outbox).returning(_outbox.c.id), named=False)
_CANCEL_TIMED = PreparedRead(
    update(_outbox)
    .where(
        _outbox.c.appointment_id == bindparam("appointment_id"),
        _outbox.c.status == "pending",
        _outbox.c.topic.in_(TIMED_TOPICS),
    )
    .values(status="cancelled", finished_ms=bindparam("now_ms"))
    .returning(_outbox.c.id),
    named=False,
)


def outbox_row(
    kind: str,
    location_id: str | None,
    *,
    topic: str,
    payload: dict,
    due_ms: int,
    now_ms: int,
    appointment_id: str | None = None,
    subscription_id: str | None = None,
) -> Fetch:
    """The statement that queues one message, for the round that writes the change it reports
    (`db.batch.run_statements`, or a write plan's writes)."""
    return Fetch(
        _INSERT_MESSAGE,
        {
            "id": new_id(),
            "kind": kind,
            "location_id": location_id,
            "topic": topic,
            "appointment_id": appointment_id,
            "subscription_id": subscription_id,
            "payload": payload,
            "due_ms": due_ms,
            "status": "pending",
            "attempts": 0,
            "retry_at_ms": None,
            "lease_until_ms": None,
            "claimed_by": None,
            "last_error": None,
            "date_added_ms": now_ms,
            "finished_ms": None,
        },
    )


def cancel_timed(appointment_id: str, now_ms: int) -> Fetch:
    """The statement by which reminders and follow-ups of an appointment that have not gone out
    yet never will."""
    return Fetch(_CANCEL_TIMED, {"appointment_id": appointment_id, "now_ms": now_ms})


def list_messages(
    db: Database,
    location_id: str | None,
    status: str | None,
    *,
    limit: int,
    kinds: Sequence[str] | None = None,
) -> list[tuple[OutboxMessage, list[DeliveryAttempt]]]:
    """A location's outbox (every location's when `location_id` is None), newest first, each
    message with its attempts; `kinds` keeps only those kinds (webhook, email, sms)."""
    query = (
        select(OutboxMessage)
        .order_by(OutboxMessage.date_added_ms.desc(), OutboxMessage.id)
        .limit(limit)
    )
    if location_id is not None:
        query = query.where(OutboxMessage.location_id == location_id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(kinds))
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


def retry_message(db: Database, message_id: str) -> OutboxMessage:
    """Make a message due again now: a failed one (refused for good, or out of attempts) goes
    back to pending, and a pending one waiting out its back-off waits no longer. The next
    worker poll claims it and tries once more (attempt numbers go on; a message already at
    the worker's `max_attempts` is failed again if that try fails too).

    The row is locked (`SELECT … FOR UPDATE`) like any read-modify-write, so it is safe
    beside workers: a worker recording an attempt waits for this transaction and, on
    PostgreSQL, re-reads the row; a claim skips it while it is locked (`SKIP LOCKED`) and
    takes it at its next poll. A message a worker holds right now (its lease has not
    expired) is refused: that attempt decides. Delivered and cancelled messages are refused.
    """
    with db.write() as session:
        message = one_or_not_found(
            session,
            select(OutboxMessage).where(OutboxMessage.id == message_id),
            f"Message {message_id} not found",
            to_change=True,
        )
        if message.status == "pending":
            leased = message.lease_until_ms is not None and message.lease_until_ms >= (
                clock.real_now_ms()
            )
            if leased:
                raise Conflict(f"Message {message_id} is being delivered right now")
            if message.retry_at_ms is None:
                raise Conflict(
                    f"Message {message_id} is pending and not waiting for a retry: "
                    "a worker takes it when it is due"
                )
        elif message.status != "failed":
            raise Conflict(
                f"Message {message_id} is {message.status}: only a failed message, "
                "or a pending one waiting for a retry, can be retried"
            )
        message.status = "pending"
        message.finished_ms = None
        message.retry_at_ms = None
        message.lease_until_ms = None
        # Due now even if the sandbox clock has been set back before its due time.
        message.due_ms = min(message.due_ms, clock.now_ms(session))
    return message
