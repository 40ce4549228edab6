"""Booking locks: the availability check and the write of a booking are one atomic step.

Keys name what a booking can exhaust: a person (location + user), an event calendar, a
resource. On PostgreSQL each key is a transaction-scoped advisory lock, taken in sorted order
so that two bookings can never deadlock; other bookings (other people) run in parallel. On
SQLite the write transaction itself (`BEGIN IMMEDIATE`, see `db.database`) already serialises
every writer across processes, so there is nothing more to take.
"""

from collections.abc import Iterable

from sqlalchemy import Dialect, column, text
from sqlalchemy.orm import Session

from opencalendars.db.batch import Fetch, run_statements
from opencalendars.db.prepared import PreparedRead


def person_key(location_id: str, user_id: str) -> str:
    return f"person:{location_id}:{user_id}"


def calendar_key(calendar_id: str) -> str:
    return f"calendar:{calendar_id}"


def resource_key(resource_id: str) -> str:
    return f"resource:{resource_id}"


def contact_key(location_id: str, field: str, value: str) -> str:
    """A contact's email (lower-cased) or E.164 phone within a location: creates, updates and
    upserts that give it take turns, so a duplicate check and its insert are one step."""
    return f"contact:{location_id}:{field}:{value}"


# One round trip for all the keys: `unnest` yields the array's elements in order and the lock
# function runs on each row as it is produced, so the locks are taken in the array's order.
_TAKE_LOCKS = PreparedRead(
    text(
        "SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) "
        "FROM unnest(CAST(:keys AS text[])) AS key"
    ).columns(column("pg_advisory_xact_lock")),
    named=False,
)


def booking_locks(dialect: Dialect, keys: Iterable[str]) -> list[Fetch]:
    """The fetch that takes these keys' locks, for the first round of what they guard: a
    PostgreSQL pipeline runs its statements in order, each READ COMMITTED statement seeing what
    was committed when it started, so the reads sent after the locks in the same round trip see
    everything the locks' previous holders wrote. None on SQLite (nothing to take)."""
    ordered = sorted(set(keys))
    if dialect.name != "postgresql" or not ordered:
        return []
    return [Fetch(_TAKE_LOCKS, {"keys": ordered})]


def take_booking_locks(session: Session, keys: Iterable[str]) -> None:
    run_statements(session, booking_locks(session.get_bind().dialect, keys))
