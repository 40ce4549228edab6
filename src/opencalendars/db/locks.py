"""Booking locks: the availability check and the write of a booking are one atomic step.

Keys name what a booking can exhaust: a person (location + user), an event calendar, a
resource. On PostgreSQL each key is a transaction-scoped advisory lock, taken in sorted order
so that two bookings can never deadlock; other bookings (other people) run in parallel. On
SQLite the write transaction itself (`BEGIN IMMEDIATE`, see `db.database`) already serialises
every writer across processes, so there is nothing more to take.
"""

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session


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
_TAKE_LOCKS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) "
    "FROM unnest(CAST(:keys AS text[])) AS key"
)


def take_booking_locks(session: Session, keys: Iterable[str]) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    ordered = sorted(set(keys))
    if ordered:
        session.execute(_TAKE_LOCKS, {"keys": ordered})
