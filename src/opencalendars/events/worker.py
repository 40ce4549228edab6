"""The delivery worker: claims due outbox messages, sends them, records every attempt.

Claiming is one short transaction: due messages are taken with a lease (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so concurrent workers each get different ones; on SQLite the write
transaction serialises claims). Sending happens outside any transaction; the result is written
in another. A worker that dies mid-delivery leaves its lease to expire, and the message is
claimed again: delivery is at least once, never lost (receivers dedupe by `webhookId`).

A `caldav` message writes an appointment to a user's CalDAV calendar (sync/writeback.py): its
state when delivered, read by id, so retries and reordering converge.

An email or a text for a contact goes to the contact's email or phone as they are when it is
sent, not when it was queued: the contact is read just before sending, in a read of its own.
"""

import logging
import os
import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from sqlalchemy import bindparam, or_, select, update

from opencalendars import clock
from opencalendars.contacts.dnd import do_not_disturb
from opencalendars.contacts.models import Contact
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead
from opencalendars.events import signing
from opencalendars.events.delivery import Channels, Outcome, send_email, send_sms, send_webhook
from opencalendars.events.models import DeliveryAttempt, OutboxMessage
from opencalendars.http.times import iso_utc_ms
from opencalendars.ids import new_id
from opencalendars.logs import redact
from opencalendars.metrics import delivery_attempted
from opencalendars.settings import (
    WEBHOOK_SIGNATURES_DEFAULT,
    load_environment,
    webhook_signatures,
)
from opencalendars.sync import writeback
from opencalendars.sync.scheduler import sync_step

log = logging.getLogger("opencalendars.worker")

_contacts = Contact.__table__.c
# Built once: the contact an email or a text is for, deleted or not (a deleted one gets nothing,
# nor does one with do not disturb on for the channel).
_CONTACT = PreparedRead(
    select(
        _contacts.email,
        _contacts.phone,
        _contacts.deleted,
        _contacts.dnd,
        _contacts.dnd_settings,
    ).where(
        _contacts.id == bindparam("contact_id"),
        _contacts.location_id == bindparam("location_id"),
    )
)


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class WorkerSettings:
    """From `OPENCALENDARS_*` variables (docs/events.md, docs/operations.md "Settings")."""

    smtp_url: str | None = None
    sms_webhook_url: str | None = None
    webhook_key_file: str | None = None  # RSA
    webhook_ed25519_key_file: str | None = None
    webhook_signatures: tuple[str, ...] = WEBHOOK_SIGNATURES_DEFAULT
    contact_email: str | None = None
    user_email: str | None = None
    timeout_s: float = 10.0
    max_attempts: int = 8
    retry_base_s: float = 5.0
    retry_cap_s: float = 3600.0
    lease_s: float = 60.0
    poll_s: float = 1.0
    batch: int = 16

    @classmethod
    def from_env(cls) -> "WorkerSettings":
        """The worker's part of the settings (settings.py: environment and `.env`, checked)."""
        env = load_environment()
        return cls(
            smtp_url=env.smtp_url,
            sms_webhook_url=env.sms_webhook_url,
            webhook_key_file=env.webhook_key_file,
            webhook_ed25519_key_file=env.webhook_ed25519_key_file,
            webhook_signatures=webhook_signatures(env.webhook_signatures),
            contact_email=env.contact_email,
            user_email=env.user_email,
            timeout_s=env.delivery_timeout_seconds,
            max_attempts=env.max_attempts,
            retry_base_s=env.retry_base_seconds,
            retry_cap_s=env.retry_cap_seconds,
            lease_s=env.delivery_lease_seconds,
            poll_s=env.worker_poll_seconds,
            batch=env.worker_batch,
        )


@dataclass(frozen=True)
class Claimed:
    id: str
    kind: str
    payload: dict
    attempt: int


def backoff_s(settings: WorkerSettings, attempt: int) -> float:
    """Exponential, capped, with jitter so that retries of many messages spread out."""
    delay = min(settings.retry_cap_s, settings.retry_base_s * 2 ** (attempt - 1))
    return delay * random.uniform(0.5, 1.5)


class Worker:
    def __init__(self, db: Database, settings: WorkerSettings):
        self.db = db
        self.settings = settings
        self.name = f"{socket.gethostname()}-{os.getpid()}-{new_id()[:6]}"
        self.channels = Channels(
            smtp_url=settings.smtp_url,
            sms_webhook_url=settings.sms_webhook_url,
            contact_email=settings.contact_email,
            user_email=settings.user_email,
            timeout_s=settings.timeout_s,
        )
        # Loaded (or generated) now: a missing or wrong key file stops the worker at start.
        self.signer = signing.signer(
            db,
            settings.webhook_signatures,
            rsa_key_file=settings.webhook_key_file,
            ed25519_key_file=settings.webhook_ed25519_key_file,
        )
        self.http = httpx.Client(timeout=settings.timeout_s, follow_redirects=False)
        self.pool = ThreadPoolExecutor(max_workers=settings.batch)
        log.info(
            "delivery worker %s started (database %s, batches of %d, up to %d attempts)",
            self.name,
            redact(db.url),
            settings.batch,
            settings.max_attempts,
            extra={
                "fields": {
                    "event": "worker_started",
                    "worker": self.name,
                    "database": redact(db.url),
                    "maxAttempts": settings.max_attempts,
                }
            },
        )

    def claim(self) -> list[Claimed]:
        """Take up to `batch` due messages whose lease is free, in due order."""
        with self.db.write() as session:
            now = wall_ms()
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.due_ms <= clock.now_ms(session),
                    or_(OutboxMessage.retry_at_ms.is_(None), OutboxMessage.retry_at_ms <= now),
                    or_(
                        OutboxMessage.lease_until_ms.is_(None),
                        OutboxMessage.lease_until_ms < now,
                    ),
                )
                .order_by(OutboxMessage.due_ms, OutboxMessage.id)
                .limit(self.settings.batch)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            claimed = []
            for message in session.scalars(query):
                message.attempts += 1
                message.lease_until_ms = now + int(self.settings.lease_s * 1000)
                message.claimed_by = self.name
                session.add(
                    DeliveryAttempt(
                        message_id=message.id,
                        number=message.attempts,
                        worker=self.name,
                        started_ms=now,
                    )
                )
                claimed.append(Claimed(message.id, message.kind, message.payload, message.attempts))
            return claimed

    def addressed(self, message: Claimed) -> dict:
        """The payload to send: for an email or a text naming a contact, a copy with the
        contact's current `contactEmail` or `contactPhone` (None when it has none or the id
        names no contact of the location), or `contactDeleted: true`, or `contactDnd: true` when
        the contact has do not disturb on for the channel. The stored payload is not changed."""
        payload = message.payload
        contact_id = payload.get("contactId")
        if message.kind in ("webhook", writeback.KIND) or not contact_id:
            return payload
        parameters = {"contact_id": contact_id, "location_id": payload.get("locationId")}
        contact = self.db.first_row(_CONTACT, parameters)
        key = "contactEmail" if message.kind == "email" else "contactPhone"
        if contact is not None and contact.deleted:
            return {**payload, key: None, "contactDeleted": True}
        if contact is not None and do_not_disturb(
            contact.dnd, contact.dnd_settings, payload.get("channel", message.kind)
        ):
            return {**payload, key: None, "contactDnd": True}
        if contact is None:
            return {**payload, key: None}
        return {**payload, key: contact.email if message.kind == "email" else contact.phone}

    def send(self, message: Claimed) -> Outcome:
        try:
            payload = self.addressed(message)
        except Exception as error:  # the database may be restarting: try again later
            return Outcome("retry", None, f"reading the contact: {type(error).__name__}: {error}")
        try:
            if message.kind == "webhook":
                return send_webhook(self.http, self.signer, payload)
            if message.kind == "email":
                return send_email(self.channels, payload)
            if message.kind == writeback.KIND:
                # An appointment written to a user's CalDAV calendar, as it is now.
                return writeback.deliver(self.db, self.http, payload)
            return send_sms(self.http, self.channels, payload)
        except Exception as error:  # a bug or a broken payload must not stop the worker
            log.exception("delivery of %s failed", message.id)
            return Outcome("failed", None, f"{type(error).__name__}: {error}")

    def record(self, message: Claimed, outcome: Outcome) -> None:
        """Write the attempt and the message's new state, unless the lease was lost meanwhile
        (another worker has claimed the message again: its attempt decides)."""
        now = wall_ms()
        result = outcome.result
        if result == "retry" and message.attempt >= self.settings.max_attempts:
            result = "failed"
        values: dict = {"lease_until_ms": None, "last_error": outcome.error}
        if result == "retry":
            values["retry_at_ms"] = now + int(backoff_s(self.settings, message.attempt) * 1000)
        else:
            values.update(status=result, finished_ms=now)
        with self.db.write() as session:
            kept = session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message.id,
                    OutboxMessage.claimed_by == self.name,
                    OutboxMessage.attempts == message.attempt,
                    OutboxMessage.status == "pending",
                )
                .values(**values)
            ).rowcount
            session.execute(
                update(DeliveryAttempt)
                .where(
                    DeliveryAttempt.message_id == message.id,
                    DeliveryAttempt.number == message.attempt,
                )
                .values(
                    finished_ms=now,
                    outcome=outcome.result,
                    status_code=outcome.status_code,
                    error=outcome.error,
                )
            )
        self.report(
            message, outcome, result, retry_at_ms=values.get("retry_at_ms"), lease_kept=kept > 0
        )

    def report(
        self,
        message: Claimed,
        outcome: Outcome,
        result: str,
        *,
        retry_at_ms: int | None,
        lease_kept: bool,
    ) -> None:
        """The attempt's metric and, unless it delivered, its log line: a failure to be tried
        again (WARNING, with the next try's time) or a give-up (ERROR). Never the message's
        URL or payload; the reason with any URL's password and query masked."""
        if result == "delivered":
            delivery_attempted(message.kind, "delivered")
            log.debug(
                "delivered message %s (%s) at attempt %d", message.id, message.kind, message.attempt
            )
            return
        reason = redact(outcome.error or "no reason given")
        fields = {
            "event": "delivery_failed",
            "messageId": message.id,
            "kind": message.kind,
            "attempt": message.attempt,
            "maxAttempts": self.settings.max_attempts,
            "reason": reason,
            "statusCode": outcome.status_code,
            "worker": self.name,
        }
        if not lease_kept:
            # Another worker has claimed the message again: its attempt decides what happens.
            delivery_attempted(message.kind, "failed")
            log.warning(
                "delivery of message %s (%s) failed at attempt %d of %d: %s; its lease had run"
                " out, another worker tries it again",
                message.id,
                message.kind,
                message.attempt,
                self.settings.max_attempts,
                reason,
                extra={"fields": fields},
            )
        elif result == "retry":
            delivery_attempted(message.kind, "failed")
            next_retry = iso_utc_ms(retry_at_ms)
            log.warning(
                "delivery of message %s (%s) failed at attempt %d of %d: %s; next try at %s",
                message.id,
                message.kind,
                message.attempt,
                self.settings.max_attempts,
                reason,
                next_retry,
                extra={"fields": {**fields, "nextRetryAt": next_retry}},
            )
        else:
            delivery_attempted(message.kind, "gave_up")
            log.error(
                "delivery of message %s (%s) gave up after %d attempts: %s",
                message.id,
                message.kind,
                message.attempt,
                reason,
                extra={
                    "fields": {**fields, "event": "delivery_gave_up", "attempts": message.attempt}
                },
            )

    def deliver(self, message: Claimed) -> None:
        self.record(message, self.send(message))

    def run_once(self) -> int:
        """Claim and deliver one batch; the number of messages handled."""
        claimed = self.claim()
        list(self.pool.map(self.deliver, claimed))
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            # Calendar sync (sync/scheduler.py): due connections, in a thread of their own.
            sync_step(self.db)
            try:
                handled = self.run_once()
            except Exception:
                # The database may be restarting: wait and try again, never exit.
                log.exception("delivery worker %s: claim failed", self.name)
                handled = 0
            if not handled:
                stop.wait(self.settings.poll_s)
        self.close()

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.http.close()
