"""The delivery worker: claims due outbox messages, sends them, records every attempt.

Claiming is one short transaction: due messages are taken with a lease (on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so concurrent workers each get different ones; on SQLite the write
transaction serialises claims). Sending happens outside any transaction; the result is written
in another. A worker that dies mid-delivery leaves its lease to expire, and the message is
claimed again: delivery is at least once, never lost (receivers dedupe by `webhookId`).
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
from sqlalchemy import or_, select, update

from opencalendars import clock
from opencalendars.db.database import Database
from opencalendars.events import signing
from opencalendars.events.delivery import Channels, Outcome, send_email, send_sms, send_webhook
from opencalendars.events.models import DeliveryAttempt, OutboxMessage
from opencalendars.http.ids import new_id
from opencalendars.settings import WEBHOOK_SIGNATURES_DEFAULT, webhook_signatures

log = logging.getLogger("opencalendars.worker")


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class WorkerSettings:
    """From `OPENCALENDARS_*` variables (docs/events.md)."""

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
        env = os.environ.get
        number = {
            "timeout_s": "OPENCALENDARS_DELIVERY_TIMEOUT_SECONDS",
            "retry_base_s": "OPENCALENDARS_RETRY_BASE_SECONDS",
            "retry_cap_s": "OPENCALENDARS_RETRY_CAP_SECONDS",
            "lease_s": "OPENCALENDARS_DELIVERY_LEASE_SECONDS",
            "poll_s": "OPENCALENDARS_WORKER_POLL_SECONDS",
        }
        return cls(
            smtp_url=env("OPENCALENDARS_SMTP_URL") or None,
            sms_webhook_url=env("OPENCALENDARS_SMS_WEBHOOK_URL") or None,
            webhook_key_file=env("OPENCALENDARS_WEBHOOK_KEY_FILE") or None,
            webhook_ed25519_key_file=env("OPENCALENDARS_WEBHOOK_ED25519_KEY_FILE") or None,
            webhook_signatures=webhook_signatures(env("OPENCALENDARS_WEBHOOK_SIGNATURES")),
            contact_email=env("OPENCALENDARS_CONTACT_EMAIL") or None,
            user_email=env("OPENCALENDARS_USER_EMAIL") or None,
            max_attempts=int(env("OPENCALENDARS_MAX_ATTEMPTS") or cls.max_attempts),
            batch=int(env("OPENCALENDARS_WORKER_BATCH") or cls.batch),
            **{field: float(env(name) or getattr(cls, field)) for field, name in number.items()},
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

    def send(self, message: Claimed) -> Outcome:
        try:
            if message.kind == "webhook":
                return send_webhook(self.http, self.signer, message.payload)
            if message.kind == "email":
                return send_email(self.channels, message.payload)
            return send_sms(self.http, self.channels, message.payload)
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
            session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message.id,
                    OutboxMessage.claimed_by == self.name,
                    OutboxMessage.attempts == message.attempt,
                    OutboxMessage.status == "pending",
                )
                .values(**values)
            )
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

    def deliver(self, message: Claimed) -> None:
        self.record(message, self.send(message))

    def run_once(self) -> int:
        """Claim and deliver one batch; the number of messages handled."""
        claimed = self.claim()
        list(self.pool.map(self.deliver, claimed))
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        log.info("delivery worker %s started", self.name)
        while not stop.is_set():
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
