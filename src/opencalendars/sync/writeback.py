"""Write-back (docs/calendar-sync.md): a user's appointments written to one chosen CalDAV calendar
of theirs, through the outbox, so that a CalDAV outage never blocks a booking and nothing is lost.

- `write_rows` is called by `events.emit.appointment_events`, for the changing transaction:
  one outbox message (kind `caldav`) per write-back connection of each user the appointment
  occupies, and per connection whose calendar already holds a copy of it (it was reassigned
  away from that user). A message names the connection and the appointment only.
- `deliver` is called by the delivery worker for such a message. It writes the appointment's
  **current** state (read by id at delivery time), not the state when the message was queued,
  so retries and messages delivered out of order converge on the latest state. The event is
  `PUT` at `{calendar}/{appointment id}.ics` with UID `{appointment id}@opencalendars`, with
  `If-None-Match: *` when nothing is known there and `If-Match` of the ETag last seen otherwise;
  a `412` re-reads the resource's ETag and the appointment and tries again. An appointment
  deleted, or no longer occupying the connection's user, is `DELETE`d there (404: done already).
  Cancelled ones are written with `STATUS:CANCELLED` (kept, like the ICS feeds do).

The ETag, the content's fingerprint and its `SEQUENCE` are kept per connection and appointment
(`calendar_written_events`): a write whose answer was lost is simply made again (same resource
name, same SEQUENCE), and SEQUENCE grows by one each time the content changes.
"""

import logging
import time
from dataclasses import dataclass
from urllib.parse import quote

import httpx
from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from opencalendars.admin.models import Location
from opencalendars.appointments.models import Appointment
from opencalendars.db.batch import Fetch
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead
from opencalendars.events.delivery import Outcome
from opencalendars.events.models import OutboxMessage
from opencalendars.events.outbox import outbox_row
from opencalendars.sync import keys
from opencalendars.sync.feeds import _appointment_event, _series_event
from opencalendars.sync.ics import fingerprint, render_resource
from opencalendars.sync.models import CalendarConnection, WrittenEvent
from opencalendars.sync.sources import USER_AGENT, short

log = logging.getLogger("opencalendars.sync")

KIND = "caldav"
# The UID of an appointment's event: `{appointment id}@UID_DOMAIN`, the same in every calendar.
UID_DOMAIN = "opencalendars"
# A write that meets a changed resource (412) re-reads and tries again, this many times in one
# delivery; after that the message is retried later with the worker's back-off.
MAX_PRECONDITION_TRIES = 3
ICS_TYPE = "text/calendar; charset=utf-8"


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def uid(appointment_id: str) -> str:
    return f"{appointment_id}@{UID_DOMAIN}"


def resource_url(calendar_url: str, appointment_id: str) -> str:
    return f"{calendar_url.rstrip('/')}/{quote(appointment_id, safe='')}.ics"


# ---- queueing (inside the changing transaction) ---------------------------------------------

_connections, _written = CalendarConnection.__table__.c, WrittenEvent.__table__.c
# Built once: every appointment change runs it, almost always to find nothing. Through the ORM
# it cost about 3 ms of a 7 ms booking (bench/RESULTS.md, "Booking").
_HOLDS_COPY = _connections.id.in_(
    select(_written.connection_id).where(_written.appointment_id == bindparam("appointment_id"))
)
_WRITE_BACK_CONNECTIONS = PreparedRead(
    select(_connections.id, _connections.user_id, _HOLDS_COPY.label("holds_copy")).where(
        _connections.location_id == bindparam("location_id"),
        _connections.write_back_url.is_not(None),
        or_(_connections.user_id.in_(bindparam("user_ids", expanding=True)), _HOLDS_COPY),
    )
)


def write_back_connections(location_id: str, user_ids: list[str], appointment_id: str) -> Fetch:
    """The location's write-back connections of `user_ids` and those whose calendar holds a copy
    of the appointment, read in the round of a change's other reads. `user_ids` may be more
    people than the appointment occupies (a booking reads them before it knows who it books):
    `write_rows` keeps those it occupies."""
    return Fetch(
        _WRITE_BACK_CONNECTIONS,
        {"location_id": location_id, "user_ids": list(user_ids), "appointment_id": appointment_id},
    )


def write_rows(
    event_type: str,
    appointment: Appointment,
    connections: list,
    *,
    master: Appointment | None,
    master_connections: list,
    now_ms: int,
) -> list[Fetch]:
    """The outbox rows of the write-back of a changed appointment, from its `connections` (read
    by `write_back_connections`): one per connection of a user it occupies, and per connection
    whose calendar holds a copy of it. An occurrence of a series deleted or edited on its own
    changes its series too (an EXDATE): the series (`master`, with its `master_connections`) is
    written again. Nothing is queued when no connection concerned writes back."""
    targets: list[tuple[Appointment, list]] = []
    computed = appointment.rrule is not None and appointment.master_event_id is not None
    if not computed:  # an occurrence that is not stored is written as part of its series
        targets.append((appointment, connections))
    if master is not None:
        targets.append((master, master_connections))
    return [
        outbox_row(
            KIND,
            appointment.location_id,
            topic=event_type,
            payload={
                "connectionId": connection.id,
                "userId": connection.user_id,
                "appointmentId": target.id,
                "uid": uid(target.id),
            },
            due_ms=now_ms,
            now_ms=now_ms,
            appointment_id=target.id,
            subscription_id=connection.id,
        )
        for target, found in targets
        for connection in found
        if connection.holds_copy or connection.user_id in target.people
    ]


def cancel_pending(session: Session, connection_id: str, now_ms: int) -> None:
    """A connection deleted: its write-backs not yet made will not be."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == KIND,
            OutboxMessage.subscription_id == connection_id,
            OutboxMessage.status == "pending",
        )
        .values(status="cancelled", finished_ms=now_ms)
    )


def written_uids(session: Session, location_id: str, user_id: str) -> frozenset[str]:
    """The UIDs write-back put in this user's calendars: a conflict sync leaves them out (the
    appointments make the user busy here already; their copies must not block them again)."""
    rows = session.scalars(
        select(WrittenEvent.appointment_id)
        .join(CalendarConnection, CalendarConnection.id == WrittenEvent.connection_id)
        .where(
            CalendarConnection.location_id == location_id,
            CalendarConnection.user_id == user_id,
        )
    )
    return frozenset(uid(appointment_id) for appointment_id in rows)


# ---- delivery (the worker, outside any transaction) -----------------------------------------


@dataclass(frozen=True)
class Known:
    """What the resource is known to be: its ETag (None: unknown) and whether it exists."""

    exists: bool
    etag: str | None


@dataclass(frozen=True)
class Job:
    calendar_url: str
    username: str | None
    password_encrypted: str | None
    known: Known | None  # from calendar_written_events; None when nothing was written
    written_fingerprint: str | None  # of what was last written there
    fingerprint: str | None
    sequence: int
    body: bytes | None  # None: the event must not be there (DELETE)


def _job(db: Database, connection_id: str, appointment_id: str) -> Job | None:
    """What to do now, read in one transaction: the ETag last seen is read before the
    appointment, so that a write made from an older state of the appointment than another
    writer's can only meet a newer ETag (412) and never overwrite it."""
    with db.read() as session:
        connection = session.get(CalendarConnection, connection_id)
        if connection is None or connection.write_back_url is None:
            return None
        written = session.get(WrittenEvent, (connection_id, appointment_id))
        appointment = session.get(Appointment, appointment_id)
        wanted = (
            appointment is not None
            and not appointment.deleted
            and connection.user_id in appointment.people
        )
        body = print_ = None
        sequence = written.sequence if written is not None else 0
        if wanted:
            zone = session.scalar(
                select(Location.timezone).where(Location.id == appointment.location_id)
            )
            event = (
                _series_event(appointment, zone, set())
                if appointment.is_series
                else _appointment_event(appointment)
            )
            print_ = fingerprint(event)
            if written is not None and written.fingerprint != print_:
                sequence += 1
            body = render_resource(zone, UID_DOMAIN, event, sequence=sequence)
        return Job(
            calendar_url=connection.write_back_url,
            username=connection.username,
            password_encrypted=connection.password_encrypted,
            known=None if written is None else Known(True, written.etag),
            written_fingerprint=None if written is None else written.fingerprint,
            fingerprint=print_,
            sequence=sequence,
            body=body,
        )


def deliver(db: Database, client: httpx.Client, payload: dict) -> Outcome:
    """Make the connection's calendar hold the appointment as it is now (or not hold it)."""
    connection_id, appointment_id = payload["connectionId"], payload["appointmentId"]
    override: Known | None = None  # what a 412 taught: newer than the stored ETag
    for _ in range(MAX_PRECONDITION_TRIES):
        job = _job(db, connection_id, appointment_id)
        if job is None:
            return Outcome("failed", error="the calendar connection is deleted")
        try:
            password = keys.decrypt(job.password_encrypted) if job.password_encrypted else None
        except keys.KeyMissing as missing:
            return _failed(db, connection_id, Outcome("failed", error=str(missing.message)))
        known = override or job.known
        url = resource_url(job.calendar_url, appointment_id)
        auth = (job.username, password or "") if job.username else None
        if (
            job.body is not None
            and override is None
            and job.known is not None
            and job.known.etag is not None
            and job.written_fingerprint == job.fingerprint
        ):
            return _done(db, connection_id)  # already there as it is now
        try:
            if job.body is not None:
                response = _put(client, url, auth, body=job.body, known=known)
            else:
                response = _delete(client, url, auth, known=known)
        except httpx.HTTPError as error:
            return _failed(db, connection_id, Outcome("retry", None, f"CalDAV: {short(error)}"))
        code = response.status_code
        if code == 412:
            try:
                override = _current(client, url, auth)
            except httpx.HTTPError as error:
                return _failed(db, connection_id, Outcome("retry", None, f"CalDAV: {short(error)}"))
            continue
        if job.body is None and (200 <= code < 300 or code == 404):
            _forget(db, connection_id, appointment_id)
            return _done(db, connection_id, code)
        if 200 <= code < 300:
            etag = response.headers.get("etag")
            _remember(db, connection_id, appointment_id, job=job, etag=etag)
            return _done(db, connection_id, code)
        result = "retry" if code in (408, 423, 429) or code >= 500 else "failed"
        method = "PUT" if job.body is not None else "DELETE"
        return _failed(db, connection_id, Outcome(result, code, f"CalDAV {method}: HTTP {code}"))
    return _failed(
        db,
        connection_id,
        Outcome("retry", 412, "CalDAV: the event kept changing there (412 Precondition Failed)"),
    )


def _headers(known: Known | None) -> dict:
    headers = {"User-Agent": USER_AGENT}
    if known is None or not known.exists:
        headers["If-None-Match"] = "*"  # create: never overwrite what another write made
    elif known.etag is not None:
        headers["If-Match"] = known.etag
    return headers


def _put(client: httpx.Client, url: str, auth, *, body: bytes, known: Known | None):
    headers = {**_headers(known), "Content-Type": ICS_TYPE}
    return client.put(url, content=body, headers=headers, auth=auth)


def _delete(client: httpx.Client, url: str, auth, *, known: Known | None):
    headers = {"User-Agent": USER_AGENT}
    if known is not None and known.exists and known.etag is not None:
        headers["If-Match"] = known.etag
    return client.delete(url, headers=headers, auth=auth)


def _current(client: httpx.Client, url: str, auth) -> Known:
    """The resource as it is there now (after a 412): whether it exists, and its ETag."""
    response = client.get(url, headers={"User-Agent": USER_AGENT}, auth=auth)
    if response.status_code == 404:
        return Known(False, None)
    if 200 <= response.status_code < 300:
        return Known(True, response.headers.get("etag"))
    response.raise_for_status()
    return Known(True, None)


def _remember(db: Database, connection_id: str, appointment_id: str, *, job: Job, etag) -> None:
    values = {
        "etag": etag,
        "fingerprint": job.fingerprint,
        "sequence": job.sequence,
        "written_ms": wall_ms(),
    }
    with db.write() as session:
        if session.get(CalendarConnection, connection_id) is None:
            return  # deleted meanwhile: its rows are gone with it
        changed = session.execute(
            update(WrittenEvent)
            .where(
                WrittenEvent.connection_id == connection_id,
                WrittenEvent.appointment_id == appointment_id,
            )
            .values(**values)
        ).rowcount
        if not changed:
            statement = insert(WrittenEvent)
            if session.get_bind().dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as postgresql_insert

                statement = postgresql_insert(WrittenEvent).on_conflict_do_nothing()
            session.execute(
                statement,
                [{"connection_id": connection_id, "appointment_id": appointment_id, **values}],
            )


def _forget(db: Database, connection_id: str, appointment_id: str) -> None:
    with db.write() as session:
        session.execute(
            delete(WrittenEvent).where(
                WrittenEvent.connection_id == connection_id,
                WrittenEvent.appointment_id == appointment_id,
            )
        )


def _done(db: Database, connection_id: str, code: int | None = None) -> Outcome:
    with db.write() as session:
        session.execute(
            update(CalendarConnection)
            .where(CalendarConnection.id == connection_id)
            .values(last_write_back_ms=wall_ms(), last_write_back_error=None)
        )
    return Outcome("delivered", code)


def _failed(db: Database, connection_id: str, outcome: Outcome) -> Outcome:
    """Recorded on the connection (`lastWriteBackError`) as well as on the message."""
    try:
        with db.write() as session:
            session.execute(
                update(CalendarConnection)
                .where(CalendarConnection.id == connection_id)
                .values(last_write_back_error=outcome.error)
            )
    except Exception:  # the database may be restarting: the message records it anyway
        log.exception("write-back: recording the error of connection %s failed", connection_id)
    return outcome
