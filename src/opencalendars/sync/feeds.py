"""ICS subscription feeds (docs/calendar-sync.md): a secret URL per user or per calendar that
any calendar app can subscribe to, read-only.

What a feed holds, within `WINDOW_BACK_MS` before and `WINDOW_AHEAD_MS` after the server
clock's now, at most `MAX_FEED_EVENTS` events (the ones nearest to now):

- a user's feed: every appointment that occupies or occupied them (assigned or in `users`) in
  any calendar of the location, cancelled ones as `STATUS:CANCELLED`; their service bookings;
  their user-level blocked slots (busy);
- a calendar's feed: its appointments and its calendar-level blocked slots.

Recurring series are one event with their rule, wherever their first start is (the client
expands them); occurrences edited on their own override their original start when the series
is in the same feed, and are events of their own otherwise.
"""

import hashlib
import secrets
from dataclasses import dataclass, replace

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.admin.models import Location
from opencalendars.appointments.models import Appointment, AppointmentUser
from opencalendars.availability import recurrence
from opencalendars.blocked_slots.models import BlockedSlot
from opencalendars.calendars.models import Calendar
from opencalendars.db.database import Database
from opencalendars.errors import BadRequest, NotFound
from opencalendars.ids import new_id
from opencalendars.services.models import ServiceBooking, ServiceSegmentStaff
from opencalendars.sync.ics import FeedEvent, fingerprint, render
from opencalendars.sync.models import CalendarFeed, FeedEventVersion

FEED_NOT_FOUND = "Feed not found"
DAY_MS = 86_400_000
WINDOW_BACK_MS = 90 * DAY_MS
WINDOW_AHEAD_MS = 365 * DAY_MS
MAX_FEED_EVENTS = 5000
# Rows read per kind of item before the nearest `MAX_FEED_EVENTS` are chosen.
MAX_READ = 4 * MAX_FEED_EVENTS
# Appointments last at most 31 days (docs/appointments.md): the look-back of range reads.
MAX_APPOINTMENT_MS = 31 * DAY_MS
SECRET_BYTES = 32
MAX_SECRET_CHARS = 128
STATUSES = {"new": "TENTATIVE", "cancelled": "CANCELLED", "invalid": "CANCELLED"}


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_feed(
    db: Database, location_id: str, user_id: str | None, *, calendar_id: str | None
) -> tuple[CalendarFeed, str]:
    """A new feed and its secret (shown once, in its URL). 404 for an unknown location or a
    calendar that is not a live one of the location."""
    if (user_id is None) == (calendar_id is None):
        raise BadRequest(["exactly one of userId and calendarId must be given"])
    secret = secrets.token_urlsafe(SECRET_BYTES)
    with db.write() as session:
        if session.get(Location, location_id) is None:
            raise NotFound("Location not found")
        if calendar_id is not None and _live_calendar(session, location_id, calendar_id) is None:
            raise NotFound("Calendar not found")
        feed = CalendarFeed(
            id=new_id(),
            location_id=location_id,
            kind="user" if user_id is not None else "calendar",
            user_id=user_id,
            calendar_id=calendar_id,
            secret_hash=secret_hash(secret),
            date_added_ms=clock.now_ms(session),
        )
        session.add(feed)
    return feed, secret


def list_feeds(db: Database, location_id: str) -> list[CalendarFeed]:
    """The location's feeds that are not revoked, oldest first."""
    with db.read() as session:
        return list(
            session.scalars(
                select(CalendarFeed)
                .where(CalendarFeed.location_id == location_id, CalendarFeed.revoked_ms.is_(None))
                .order_by(CalendarFeed.date_added_ms, CalendarFeed.id)
            )
        )


def revoke_feed(db: Database, feed_id: str) -> None:
    """Its URL answers 404 from now on. 404 when there is no such feed, or it is revoked."""
    with db.write() as session:
        revoked = session.execute(
            update(CalendarFeed)
            .where(CalendarFeed.id == feed_id, CalendarFeed.revoked_ms.is_(None))
            .values(revoked_ms=clock.now_ms(session))
        ).rowcount
        if not revoked:
            raise NotFound(FEED_NOT_FOUND)
        session.execute(delete(FeedEventVersion).where(FeedEventVersion.feed_id == feed_id))


def _live_calendar(session: Session, location_id: str, calendar_id: str):
    return session.execute(
        select(Calendar.id, Calendar.name).where(
            Calendar.id == calendar_id,
            Calendar.location_id == location_id,
            Calendar.deleted.is_(False),
        )
    ).first()


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str  # quoted, strong


def feed_for_secret(db: Database, secret: str, host: str) -> Feed:
    """The feed a secret opens, as ICS; 404 for an unknown or revoked secret (and for the feed
    of a calendar that was deleted)."""
    if not secret or len(secret) > MAX_SECRET_CHARS:
        raise NotFound(FEED_NOT_FOUND)
    with db.read() as session:
        feed = session.scalar(
            select(CalendarFeed).where(
                CalendarFeed.secret_hash == secret_hash(secret), CalendarFeed.revoked_ms.is_(None)
            )
        )
        if feed is None:
            raise NotFound(FEED_NOT_FOUND)
        now = clock.now_ms(session)
        location = session.get(Location, feed.location_id)
        name, events = gather(session, feed, location, now=now)
        stored = {
            row.component: row
            for row in session.execute(
                select(
                    FeedEventVersion.component,
                    FeedEventVersion.fingerprint,
                    FeedEventVersion.sequence,
                ).where(FeedEventVersion.feed_id == feed.id)
            )
        }
    prints = {event.component: fingerprint(event) for event in events}
    if set(stored) != set(prints) or any(
        stored[key].fingerprint != value for key, value in prints.items()
    ):
        sequences = _record_versions(db, feed.id, prints)
    else:
        sequences = {key: row.sequence for key, row in stored.items()}
    body = render(name, location.timezone, host, events=events, sequences=sequences)
    return Feed(body, f'"{hashlib.sha256(body).hexdigest()[:40]}"')


def _record_versions(db: Database, feed_id: str, prints: dict[str, str]) -> dict[str, int]:
    """Store what the feed now publishes: a new event starts at SEQUENCE 0, a changed one is
    bumped by one, one no longer published is forgotten. The conditional update bumps once
    even when two renders of the feed race."""
    with db.write() as session:
        now = clock.now_ms(session)
        stored = {
            component: value
            for component, value in session.execute(
                select(FeedEventVersion.component, FeedEventVersion.fingerprint).where(
                    FeedEventVersion.feed_id == feed_id
                )
            )
        }
        gone = set(stored) - set(prints)
        if gone:
            session.execute(
                delete(FeedEventVersion).where(
                    FeedEventVersion.feed_id == feed_id,
                    FeedEventVersion.component.in_(sorted(gone)),
                )
            )
        new = [key for key in prints if key not in stored]
        if new:
            session.execute(
                _insert_ignoring_duplicates(session),
                [
                    {
                        "feed_id": feed_id,
                        "component": key,
                        "fingerprint": prints[key],
                        "sequence": 0,
                        "changed_ms": now,
                    }
                    for key in new
                ],
            )
        for key, value in prints.items():
            if key in stored and stored[key] != value:
                session.execute(
                    update(FeedEventVersion)
                    .where(
                        FeedEventVersion.feed_id == feed_id,
                        FeedEventVersion.component == key,
                        FeedEventVersion.fingerprint != value,
                    )
                    .values(
                        fingerprint=value,
                        sequence=FeedEventVersion.sequence + 1,
                        changed_ms=now,
                    )
                )
        return {
            component: sequence
            for component, sequence in session.execute(
                select(FeedEventVersion.component, FeedEventVersion.sequence).where(
                    FeedEventVersion.feed_id == feed_id
                )
            )
        }


def _insert_ignoring_duplicates(session: Session):
    """An INSERT that leaves a row another render has just added (PostgreSQL; SQLite's write
    transactions take turns)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(FeedEventVersion).on_conflict_do_nothing()
    return insert(FeedEventVersion)


# ---- what a feed holds ---------------------------------------------------------------------


def gather(
    session: Session, feed: CalendarFeed, location: Location, *, now: int
) -> tuple[str, list[FeedEvent]]:
    """The feed's name and events."""
    low, high = now - WINDOW_BACK_MS, now + WINDOW_AHEAD_MS
    zone = location.timezone
    if feed.kind == "calendar":
        calendar = _live_calendar(session, feed.location_id, feed.calendar_id)
        if calendar is None:
            raise NotFound(FEED_NOT_FOUND)
        name = calendar.name
        singles = _calendar_singles(session, feed.location_id, feed.calendar_id, low=low, high=high)
        series = _series(session, feed.location_id, low, high=high, calendar_id=feed.calendar_id)
        blocks = _blocks(session, feed.location_id, low, high=high, calendar_id=feed.calendar_id)
        bookings: list[FeedEvent] = []
    else:
        name = f"{feed.user_id} ({location.name})"
        singles = _user_singles(session, feed.location_id, feed.user_id, low=low, high=high)
        series = [
            master
            for master in _series(session, feed.location_id, low, high=high)
            if feed.user_id in master.people
        ]
        blocks = _blocks(session, feed.location_id, low, high=high, user_id=feed.user_id)
        bookings = _bookings(session, feed.location_id, feed.user_id, low=low, high=high)
    items: list[tuple[int, object]] = [(a.start_ms, a) for a in singles]
    items += [(_nearest_start(m, zone, now), m) for m in series]
    items += [(event.start_ms, event) for event in [*blocks, *bookings]]
    # The nearest to now, when there are more than a feed carries.
    kept = sorted(items, key=lambda item: abs(item[0] - now))[:MAX_FEED_EVENTS]
    masters = {item.id: item for _, item in kept if isinstance(item, Appointment) and item.rrule}
    events: list[FeedEvent] = []
    overridden: dict[str, set[int]] = {master_id: set() for master_id in masters}
    for _, item in kept:
        if isinstance(item, FeedEvent):
            events.append(item)
        elif not item.rrule:
            original = _original_start(item)
            if original is not None and item.master_event_id in masters:
                overridden[item.master_event_id].add(original)
                events.append(_appointment_event(item, item.master_event_id, original))
            else:
                events.append(_appointment_event(item))
    for master in masters.values():
        events.append(_series_event(master, zone, overridden[master.id]))
    return name, events


def _nearest_start(master: Appointment, zone: str, now: int) -> int:
    """Where a series sits for the cap: its next occurrence (or its first, or its last)."""
    try:
        upcoming = recurrence.occurrence_starts(
            master.rrule, master.start_ms, zone, from_ms=now, to_ms=now + WINDOW_AHEAD_MS, limit=0
        )
    except ValueError:
        upcoming = []
    return upcoming[0] if upcoming else master.start_ms


def _original_start(appointment: Appointment) -> int | None:
    """The start in its series of an occurrence edited on its own: its id says it
    (`{masterId}_{startMs}_{durationSeconds}`)."""
    if appointment.master_event_id is None:
        return None
    parts = appointment.id.rsplit("_", 2)
    if len(parts) != 3 or parts[0] != appointment.master_event_id:
        return None
    start = parts[1].removeprefix("-")
    if not (start.isascii() and start.isdigit()):
        return None
    return int(parts[1])


def _status(status: str) -> str:
    return STATUSES.get(status, "CONFIRMED")


def _appointment_event(
    appointment: Appointment, master_id: str | None = None, original_ms: int | None = None
) -> FeedEvent:
    details = appointment.details or {}
    overriding = master_id is not None
    return FeedEvent(
        component=f"appointment:{master_id}@{original_ms}"
        if overriding
        else f"appointment:{appointment.id}",
        uid=master_id if overriding else appointment.id,
        recurrence_id_ms=original_ms,
        start_ms=appointment.start_ms,
        end_ms=appointment.end_ms,
        summary=appointment.title or "Appointment",
        status=_status(appointment.status),
        description=details.get("description") or None,
        location=details.get("address") or None,
        created_ms=appointment.date_added_ms,
        updated_ms=appointment.date_updated_ms,
    )


def _series_event(master: Appointment, zone: str, overridden: set[int]) -> FeedEvent:
    """The series with its rule; its EXDATEs are the rule's own and the starts taken out of it
    (deleted, or edited on their own and not overriding here)."""
    lines = recurrence.rule_text(master.rrule).splitlines()
    rule = next((line.split(":", 1)[1] for line in lines if line.upper().startswith("RRULE")), "")
    try:
        excluded = set(recurrence.parse(master.rrule, master.start_ms, zone).exdates)
    except ValueError:
        excluded = set()
    excluded |= set(master.exceptions)
    return replace(
        _appointment_event(master),
        rrule=rule or None,
        exdates_ms=tuple(sorted(excluded - overridden)),
    )


def _user_singles(session: Session, location_id: str, user_id: str, *, low: int, high: int):
    people = select(AppointmentUser.appointment_id).where(
        AppointmentUser.location_id == location_id,
        AppointmentUser.user_id == user_id,
        AppointmentUser.start_ms < high,
        AppointmentUser.start_ms > low - MAX_APPOINTMENT_MS,
        AppointmentUser.end_ms > low,
    )
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.id.in_(people),
                Appointment.deleted.is_(False),
                Appointment.rrule.is_(None),
            )
            .order_by(Appointment.start_ms, Appointment.id)
            .limit(MAX_READ)
        )
    )


def _calendar_singles(session: Session, location_id: str, calendar_id: str, *, low: int, high: int):
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.location_id == location_id,
                Appointment.calendar_id == calendar_id,
                Appointment.start_ms < high,
                Appointment.start_ms > low - MAX_APPOINTMENT_MS,
                Appointment.end_ms > low,
                Appointment.deleted.is_(False),
                Appointment.rrule.is_(None),
            )
            .order_by(Appointment.start_ms, Appointment.id)
            .limit(MAX_READ)
        )
    )


def _series(
    session: Session, location_id: str, low: int, *, high: int, calendar_id: str | None = None
) -> list[Appointment]:
    query = select(Appointment).where(
        Appointment.location_id == location_id,
        Appointment.rrule.is_not(None),
        Appointment.deleted.is_(False),
        Appointment.start_ms < high,
        or_(Appointment.series_end_ms.is_(None), Appointment.series_end_ms > low),
    )
    if calendar_id is not None:
        query = query.where(Appointment.calendar_id == calendar_id)
    return list(session.scalars(query.order_by(Appointment.start_ms, Appointment.id)))


def _blocks(
    session: Session,
    location_id: str,
    low: int,
    *,
    high: int,
    calendar_id: str | None = None,
    user_id: str | None = None,
) -> list[FeedEvent]:
    owner = (
        BlockedSlot.calendar_id == calendar_id
        if calendar_id is not None
        else BlockedSlot.assigned_user_id == user_id
    )
    blocks = session.scalars(
        select(BlockedSlot)
        .where(
            BlockedSlot.location_id == location_id,
            owner,
            BlockedSlot.deleted.is_(False),
            BlockedSlot.start_ms < high,
            BlockedSlot.end_ms > low,
        )
        .order_by(BlockedSlot.start_ms, BlockedSlot.id)
        .limit(MAX_READ)
    )
    return [
        FeedEvent(
            component=f"block:{block.id}",
            uid=block.id,
            start_ms=block.start_ms,
            end_ms=block.end_ms,
            summary=block.title or "Busy",
            status="CONFIRMED",
            created_ms=block.date_added_ms,
            updated_ms=block.date_updated_ms,
        )
        for block in blocks
    ]


def _bookings(
    session: Session, location_id: str, user_id: str, *, low: int, high: int
) -> list[FeedEvent]:
    """A staff member's service bookings: one event per booking, from the start of their first
    service in it to the end of their last (buffers left out)."""
    staffed = select(ServiceSegmentStaff.booking_id).where(
        ServiceSegmentStaff.location_id == location_id,
        ServiceSegmentStaff.staff_id == user_id,
        ServiceSegmentStaff.busy_start_ms < high + 2 * DAY_MS,
        ServiceSegmentStaff.busy_start_ms > low - MAX_APPOINTMENT_MS - 2 * DAY_MS,
        ServiceSegmentStaff.busy_end_ms > low,
    )
    bookings = session.scalars(
        select(ServiceBooking)
        .where(ServiceBooking.id.in_(staffed), ServiceBooking.deleted.is_(False))
        .order_by(ServiceBooking.start_ms, ServiceBooking.id)
        .limit(MAX_READ)
    )
    events = []
    for booking in bookings:
        mine = [s for s in booking.segments if s.get("serviceStaffId") == user_id]
        if not mine:
            continue
        start = min(segment["startMs"] for segment in mine)
        end = max(segment["endMs"] for segment in mine)
        if end <= low or start >= high:
            continue
        events.append(
            FeedEvent(
                component=f"booking:{booking.id}",
                uid=booking.id,
                start_ms=start,
                end_ms=end,
                summary=booking.title or "Service booking",
                status=_status(booking.status),
                location=booking.meeting_location or None,
                created_ms=booking.date_added_ms,
                updated_ms=booking.date_updated_ms,
            )
        )
    return events
