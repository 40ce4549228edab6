"""Conflict calendars (docs/calendar-sync.md): a user's CalDAV calendar or ICS URL whose events
make them busy here. A sync reads the window around now, expands it into busy spans and
replaces the connection's spans in one transaction; a sync that fails keeps the last good
spans and records why (`last_error`)."""

import hashlib
import json
import logging
import time
from dataclasses import dataclass

from sqlalchemy import delete, desc, insert, or_, select, update

from opencalendars import clock
from opencalendars.admin.models import Location
from opencalendars.db.database import Database
from opencalendars.db.queries import for_change
from opencalendars.errors import BadRequest, NotFound
from opencalendars.ids import new_id
from opencalendars.logs import redact
from opencalendars.schedules.models import Schedule
from opencalendars.sync import keys, sources, writeback
from opencalendars.sync.expand import SyncFailed, busy_spans
from opencalendars.sync.models import CalendarConnection, ExternalBusy, WrittenEvent

log = logging.getLogger("opencalendars.sync")

CONNECTION_NOT_FOUND = "Calendar connection not found"
LOCATION_NOT_FOUND = "Location not found"
DAY_MS = 86_400_000
# The window synced around the server clock's now: a week back (for the days of slots still
# shown), a year ahead (how far bookings usually reach).
WINDOW_BACK_MS = 7 * DAY_MS
WINDOW_AHEAD_MS = 366 * DAY_MS
# A 304 of an ICS URL is trusted while the window its events were expanded over still reaches
# this far beyond the window needed now; after that it is read again whole.
WINDOW_SLACK_MS = DAY_MS
# A sync holds its connection this long at most (its requests time out well before).
LEASE_MS = 10 * 60_000
MAX_CONNECTIONS_PER_USER = 20


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def location_zone(session, location_id: str) -> str:
    zone = session.scalar(select(Location.timezone).where(Location.id == location_id))
    if zone is None:
        raise NotFound(LOCATION_NOT_FOUND)
    return zone


def user_zone(session, location_id: str, user_id: str) -> str:
    """Where a user's all-day and floating events are read: the zone of their most recently
    created schedule, else the location's."""
    zone = session.scalar(
        select(Schedule.timezone)
        .where(Schedule.location_id == location_id, Schedule.user_id == user_id)
        .order_by(desc(Schedule.date_added_ms), desc(Schedule.id))
        .limit(1)
    )
    return zone or location_zone(session, location_id)


def create_connection(
    db: Database,
    *,
    location_id: str,
    user_id: str,
    kind: str,
    url: str,
    username: str | None,
    password: str | None,
    write_back_url: str | None = None,
) -> CalendarConnection:
    """A new connection (not synced yet: the worker's next turn does it, or `sync_connection`).
    A password needs `OPENCALENDARS_SECRET_KEY` (400 without it). A write-back calendar is
    checked now, with one PROPFIND and the connection's credentials: 400 unless it is a
    calendar collection they can read."""
    encrypted = keys.encrypt(password) if password else None
    if write_back_url is not None:
        try:
            sources.check_caldav_calendar(write_back_url, username, password)
        except SyncFailed as failure:
            raise BadRequest([f"writeBackCalendarUrl: {failure}"]) from None
    with db.write() as session:
        location_zone(session, location_id)  # 404 for an unknown location
        count = len(
            session.scalars(
                select(CalendarConnection.id).where(
                    CalendarConnection.location_id == location_id,
                    CalendarConnection.user_id == user_id,
                )
            ).all()
        )
        if count >= MAX_CONNECTIONS_PER_USER:
            raise BadRequest(
                [f"a user may have at most {MAX_CONNECTIONS_PER_USER} calendar connections"]
            )
        connection = CalendarConnection(
            id=new_id(),
            location_id=location_id,
            user_id=user_id,
            kind=kind,
            url=url,
            username=username,
            password_encrypted=encrypted,
            date_added_ms=clock.now_ms(session),
            busy_count=0,
            write_back_url=write_back_url,
        )
        session.add(connection)
    return connection


def list_connections(
    db: Database, location_id: str, user_id: str | None = None
) -> list[CalendarConnection]:
    query = select(CalendarConnection).where(CalendarConnection.location_id == location_id)
    if user_id is not None:
        query = query.where(CalendarConnection.user_id == user_id)
    with db.read() as session:
        return list(
            session.scalars(query.order_by(CalendarConnection.date_added_ms, CalendarConnection.id))
        )


def get_connection(db: Database, connection_id: str) -> CalendarConnection:
    with db.read() as session:
        connection = session.get(CalendarConnection, connection_id)
    if connection is None:
        raise NotFound(CONNECTION_NOT_FOUND)
    return connection


def delete_connection(db: Database, connection_id: str) -> None:
    """The connection and its busy spans, at once: its time is free again. Its write-backs not
    made yet are cancelled (what it wrote stays in that calendar)."""
    with db.write() as session:
        connection = session.scalar(
            for_change(select(CalendarConnection).where(CalendarConnection.id == connection_id))
        )
        if connection is None:
            raise NotFound(CONNECTION_NOT_FOUND)
        session.execute(delete(ExternalBusy).where(ExternalBusy.connection_id == connection_id))
        session.execute(delete(WrittenEvent).where(WrittenEvent.connection_id == connection_id))
        writeback.cancel_pending(session, connection_id, clock.now_ms(session))
        session.delete(connection)


@dataclass(frozen=True)
class SyncJob:
    """What a sync needs, read in one short transaction."""

    connection_id: str
    location_id: str
    user_id: str
    kind: str
    url: str
    username: str | None
    password_encrypted: str | None
    etag: str | None
    window_end_ms: int | None
    caldav_ctags: str | None
    zone: str
    window: tuple[int, int]
    # The user's appointments written back (sync/writeback.py): not busy again from there.
    ignored_uids: frozenset[str] = frozenset()


def _job(db: Database, connection_id: str) -> SyncJob:
    with db.read() as session:
        connection = session.get(CalendarConnection, connection_id)
        if connection is None:
            raise NotFound(CONNECTION_NOT_FOUND)
        now = clock.now_ms(session)
        return SyncJob(
            connection_id=connection.id,
            location_id=connection.location_id,
            user_id=connection.user_id,
            kind=connection.kind,
            url=connection.url,
            username=connection.username,
            password_encrypted=connection.password_encrypted,
            etag=connection.etag,
            window_end_ms=connection.window_end_ms,
            caldav_ctags=connection.caldav_ctags,
            zone=user_zone(session, connection.location_id, connection.user_id),
            window=(now - WINDOW_BACK_MS, now + WINDOW_AHEAD_MS),
            ignored_uids=writeback.written_uids(
                session, connection.location_id, connection.user_id
            ),
        )


@dataclass(frozen=True)
class Outcome:
    # None: unchanged (an ICS 304, or the same CalDAV ctags, within the window).
    spans: list[tuple[int, int]] | None
    occurrences: int
    etag: str | None
    window_end_ms: int | None
    caldav_ctags: str | None = None


def _basis(job: SyncJob) -> str:
    """What the spans depend on besides the calendars: the user's zone and the UIDs ignored."""
    text = "\n".join([job.zone, *sorted(job.ignored_uids)])
    return hashlib.sha256(text.encode()).hexdigest()


def _known_ctags(job: SyncJob) -> dict[str, str] | None:
    """The ctags of the last full CalDAV read, when its spans can be kept: the window they were
    expanded over still covers the one needed now, with the same zone and ignored UIDs."""
    covered = job.window_end_ms is not None and job.window_end_ms >= job.window[1]
    if not covered or not job.caldav_ctags:
        return None
    try:
        stored = json.loads(job.caldav_ctags)
    except ValueError:
        return None
    if not isinstance(stored, dict) or stored.get("basis") != _basis(job):
        return None
    ctags = stored.get("ctags")
    return ctags if isinstance(ctags, dict) and ctags else None


def _read(job: SyncJob) -> Outcome:
    """Fetch and expand; `SyncFailed` (or `keys.KeyMissing`) says why not."""
    password = keys.decrypt(job.password_encrypted) if job.password_encrypted else None
    if job.kind == "ics":
        # A 304 is trusted only while the stored spans still cover the window needed now.
        covered = job.window_end_ms is not None and job.window_end_ms >= job.window[1]
        fetched = sources.fetch_ics(
            job.url, job.username, password, etag=job.etag if covered else None
        )
        if fetched.texts is None:
            return Outcome(None, 0, fetched.etag, job.window_end_ms)
        ctags = None
    else:
        known = _known_ctags(job)
        fetched = sources.fetch_caldav(
            job.url, job.username, password, window=job.window, known_ctags=known
        )
        if fetched.texts is None:  # every calendar's ctag is the one of the last full read
            return Outcome(None, 0, None, job.window_end_ms, job.caldav_ctags)
        ctags = None
        if fetched.ctags is not None:
            ctags = json.dumps({"basis": _basis(job), "ctags": fetched.ctags}, sort_keys=True)
    end = job.window[1] + WINDOW_SLACK_MS
    busy = busy_spans(fetched.texts, job.zone, (job.window[0], end), ignored_uids=job.ignored_uids)
    return Outcome(busy.spans, busy.occurrences, fetched.etag, end, ctags)


def sync_connection(db: Database, connection_id: str) -> CalendarConnection:
    """One sync now; the connection as it stands after it (`last_error` set when it failed,
    the last good spans kept). 404 when the connection does not exist."""
    job = _job(db, connection_id)
    started = wall_ms()
    try:
        outcome = _read(job)
        error = None
    except SyncFailed as failure:
        outcome, error = None, str(failure)
    except keys.KeyMissing as failure:
        outcome, error = None, str(failure.message)
    except Exception as failure:  # a bug must not stop the worker: recorded, logged
        log.exception("calendar sync of connection %s failed", connection_id)
        outcome, error = None, sources.short(failure)
    with db.write() as session:
        connection = session.scalar(
            for_change(select(CalendarConnection).where(CalendarConnection.id == connection_id))
        )
        if connection is None:  # deleted while it synced
            raise NotFound(CONNECTION_NOT_FOUND)
        connection.last_attempt_ms = started
        connection.lease_until_ms = None
        if error is not None:
            connection.last_error = error
            log.warning(
                "calendar sync of connection %s (%s) failed: %s",
                connection_id,
                redact(job.url),
                error,
                extra={
                    "fields": {
                        "event": "calendar_sync_failed",
                        "connectionId": connection_id,
                        "reason": error,
                    }
                },
            )
        else:
            connection.last_error = None
            connection.last_synced_ms = wall_ms()
            connection.etag = outcome.etag
            connection.window_end_ms = outcome.window_end_ms
            connection.caldav_ctags = outcome.caldav_ctags
            if outcome.spans is not None:
                _replace_spans(session, job, outcome.spans)
                connection.busy_count = outcome.occurrences
    return get_connection(db, connection_id)


def _replace_spans(session, job: SyncJob, spans: list[tuple[int, int]]) -> None:
    session.execute(delete(ExternalBusy).where(ExternalBusy.connection_id == job.connection_id))
    if spans:
        session.execute(
            insert(ExternalBusy),
            [
                {
                    "connection_id": job.connection_id,
                    "position": position,
                    "location_id": job.location_id,
                    "user_id": job.user_id,
                    "start_ms": start,
                    "end_ms": end,
                }
                for position, (start, end) in enumerate(spans)
            ],
        )


def claim_due(db: Database, limit: int, interval_ms: int) -> list[str]:
    """Up to `limit` connections whose last attempt is `interval_ms` old (or that were never
    synced), each taken with a lease, so two workers never sync one at once."""
    now = wall_ms()
    with db.read() as session:
        due = session.scalars(
            select(CalendarConnection.id)
            .where(
                or_(
                    CalendarConnection.last_attempt_ms.is_(None),
                    CalendarConnection.last_attempt_ms <= now - interval_ms,
                ),
                or_(
                    CalendarConnection.lease_until_ms.is_(None),
                    CalendarConnection.lease_until_ms < now,
                ),
            )
            .order_by(
                CalendarConnection.last_attempt_ms.is_not(None),
                CalendarConnection.last_attempt_ms,
            )
            .limit(limit)
        ).all()
    claimed = []
    for connection_id in due:
        with db.write() as session:
            taken = session.execute(
                update(CalendarConnection)
                .where(
                    CalendarConnection.id == connection_id,
                    or_(
                        CalendarConnection.lease_until_ms.is_(None),
                        CalendarConnection.lease_until_ms < now,
                    ),
                )
                .values(lease_until_ms=now + LEASE_MS)
            ).rowcount
        if taken:
            claimed.append(connection_id)
    return claimed


def sync_due(db: Database, limit: int = 50, interval_ms: int | None = None) -> int:
    """Sync the connections that are due, one after the other; how many were synced."""
    interval = keys.interval_ms() if interval_ms is None else interval_ms
    done = 0
    for connection_id in claim_due(db, limit, interval):
        try:
            sync_connection(db, connection_id)
            done += 1
        except NotFound:
            continue  # deleted meanwhile
    return done
