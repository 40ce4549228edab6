"""Calendar sync's tables (docs/calendar-sync.md): ICS feeds and the versions of the events they
published, conflict-calendar connections and the busy spans synced from them, and the events
write-back has written to a connection's calendar."""

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped


class CalendarFeed(LocationScoped, Base):
    """A read-only ICS feed of one user's or one calendar's events, at `/feeds/{secret}.ics`.
    Only the SHA-256 of the secret is kept: the URL is shown once. Revoking keeps the row."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (Index(None, "location_id", "date_added_ms"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # "user": every appointment, service booking and blocked slot of `user_id` in the location;
    # "calendar": the appointments and calendar-level blocked slots of `calendar_id`.
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    calendar_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # 256 random bits: a fast hash is enough, and the lookup is one indexed read.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    date_added_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class FeedEventVersion(Base):
    """What a feed last published of one event (or one overriding occurrence): the fingerprint
    of its content and its `SEQUENCE`, bumped each time the content changes. Per feed, since
    what a feed shows of a series depends on whose feed it is."""

    __tablename__ = "calendar_feed_versions"

    feed_id: Mapped[str] = mapped_column(
        ForeignKey("calendar_feeds.id", ondelete="CASCADE"), primary_key=True
    )
    # `appointment:{id}`, `appointment:{id}@{recurrence start ms}`, `block:{id}`, `booking:{id}`.
    component: Mapped[str] = mapped_column(String(160), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    changed_ms: Mapped[int] = mapped_column(BigInteger)


class CalendarConnection(LocationScoped, Base):
    """A user's external calendar whose events make them busy: a CalDAV calendar (or every
    calendar of a CalDAV account) or an ICS URL. The password is kept encrypted (sync/keys.py)."""

    __tablename__ = "calendar_connections"
    __table_args__ = (Index(None, "location_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # "caldav" or "ics"
    url: Mapped[str] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(Text, nullable=True)
    password_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    date_added_ms: Mapped[int] = mapped_column(BigInteger)
    # Wall-clock times (not the server clock: syncing is about real time).
    last_synced_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_attempt_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Busy occurrences found in the window by the last successful sync.
    busy_count: Mapped[int] = mapped_column(Integer, default=0)
    # An ICS URL's ETag at the last successful sync, and the end of the window its events were
    # expanded over (a 304 is only trusted while that window still covers what is needed).
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    window_end_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A CalDAV connection's calendars' ctags at the last full read (JSON: the ctags by calendar
    # URL, and a hash of the zone and ignored UIDs the spans were expanded with); None when
    # one of its calendars has no ctag. While they are all unchanged, a sync reads nothing more.
    caldav_ctags: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    # A sync in progress holds the connection until then, so two workers never sync it at once.
    lease_until_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Write-back (sync/writeback.py): the CalDAV calendar the user's appointments are written
    # to (None: none), and the (wall-clock) time and error of the last write there.
    write_back_url: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    last_write_back_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_write_back_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class WrittenEvent(Base):
    """What write-back last wrote of one appointment to one connection's calendar: the
    resource's ETag (for `If-Match`), the fingerprint of its content and its `SEQUENCE` (bumped
    when the content changes). Gone when the event is deleted there."""

    __tablename__ = "calendar_written_events"
    # Which calendars hold a copy of an appointment (write-back queues a write to each).
    __table_args__ = (Index(None, "appointment_id"),)

    connection_id: Mapped[str] = mapped_column(
        ForeignKey("calendar_connections.id", ondelete="CASCADE"), primary_key=True
    )
    appointment_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(Integer)
    written_ms: Mapped[int] = mapped_column(BigInteger)


class ExternalBusy(Base):
    """One busy span of a user from a connection: replaced whole by each successful sync.
    Spans are merged and cut into pieces of at most `MAX_SPAN_MS`, so that busy reads are
    indexed range scans with a bounded look-back (busy/external.py)."""

    __tablename__ = "external_busy"
    __table_args__ = (
        # Covering: a person's synced busy time is read from the index alone.
        Index("ix_external_busy_busy", "location_id", "user_id", "start_ms", "end_ms"),
    )

    connection_id: Mapped[str] = mapped_column(
        ForeignKey("calendar_connections.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(255))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)


# The longest stored span: longer busy time is stored as consecutive pieces.
MAX_SPAN_MS = 7 * 24 * 3_600_000
