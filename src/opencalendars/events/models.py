"""Events out: webhook subscriptions, the signing key, and the outbox every delivery goes
through (PRODUCT §8)."""

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped


class WebhookSubscription(LocationScoped, Base):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index(None, "location_id", "date_added_ms"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    # The event types it receives; None: all of them.
    events: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    date_added_ms: Mapped[int] = mapped_column(BigInteger)


class SigningKey(Base):
    """A key pair webhooks are signed with, one row per algorithm (`webhooks`: RSA,
    `webhooks-ed25519`: Ed25519): generated once, shared by every process."""

    __tablename__ = "signing_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    date_added_ms: Mapped[int] = mapped_column(BigInteger)


class OutboxMessage(Base):
    """Something to deliver: a signed webhook, an email, a text message. Written in the same
    transaction as the change it reports, so it exists exactly when the change does.

    `due_ms` follows the server clock (a reminder is due when the sandbox time reaches it);
    `retry_at_ms` and `lease_until_ms` follow real time (back-off and a worker's claim run on
    the wall clock even while the sandbox clock is frozen).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "status", "due_ms"),
        Index(None, "appointment_id", "status"),
        Index(None, "subscription_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # webhook | email | sms | caldav (a calendar write-back: sync/writeback.py)
    kind: Mapped[str] = mapped_column(String(16))
    # None for an app's webhook of a company install (marketplace/).
    location_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # What it reports: an event type (AppointmentCreate...) or a notification type (reminder...).
    topic: Mapped[str] = mapped_column(String(32))
    appointment_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    subscription_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    payload: Mapped[dict] = mapped_column(JSON)
    due_ms: Mapped[int] = mapped_column(BigInteger)
    # pending -> delivered | failed | cancelled
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_at_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    lease_until_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_added_ms: Mapped[int] = mapped_column(BigInteger)
    finished_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class DeliveryAttempt(Base):
    """One try at delivering a message, by one worker."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (Index(None, "message_id", "number", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("outbox.id"))
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(64))
    started_ms: Mapped[int] = mapped_column(BigInteger)
    finished_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # delivered | retry | failed; None while in flight (or when the worker died)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
