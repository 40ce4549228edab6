"""The one booking pipeline: lock, check, choose — for appointments and service bookings alike.

A booking takes the booking locks of everything it could exhaust (db/locks.py: every person who
could be assigned, an event calendar, a room), then checks against the busy picture read afresh
under those locks (`busy.people`: the locks and the check's reads go out in one round trip on
PostgreSQL), then chooses who is booked. The caller writes in the same
transaction, so two bookings that need the same person take turns and the second sees the
first. Each front door (`appointments.booking.book`, `services.bookings.choose_staff`) says what
to lock and how to check and choose; this says in which order, and counts the outcome.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Dialect
from sqlalchemy.orm import Session

from opencalendars.db.batch import Plan, after, on_a_guess, run_plan
from opencalendars.db.locks import booking_locks
from opencalendars.errors import BadRequest
from opencalendars.metrics import booking_accepted_on_commit, booking_refused

Found = TypeVar("Found")
Chosen = TypeVar("Chosen")


class SlotTaken(BadRequest):
    """Nobody who could be booked is free: counted as `slot_taken` (other refusals: `invalid`)."""


def claim_plan(
    kind: str,
    dialect: Dialect,
    to_lock: Plan[list[str]],
    *,
    check: Callable[[], Plan[Found]],
    choose: Callable[[Found], Chosen],
) -> Plan[Chosen]:
    """A plan: `to_lock`'s keys (it may refuse the request before anything is locked, and read
    what it needs to name them), the locks and `check()`'s reads, then `choose(what they
    found)`. The locks go out ahead of the check's first round, in the same round trip
    (`db.locks.booking_locks`). A refusal (`BadRequest`) is counted at once (metrics.py, `kind`:
    appointment or service), but not while the plan runs on guessed rows (`db.batch.on_a_guess`:
    that run may be thrown away); the caller counts an acceptance once its transaction commits
    (`booking_accepted`)."""
    try:
        locks = booking_locks(dialect, (yield from to_lock))
        return choose((yield from after(locks, check())))
    except BadRequest as refusal:
        if not on_a_guess():
            booking_refused(kind, "slot_taken" if isinstance(refusal, SlotTaken) else "invalid")
        raise


def claim(
    session: Session,
    kind: str,
    to_lock: Plan[list[str]],
    *,
    check: Callable[[], Plan[Found]],
    choose: Callable[[Found], Chosen],
) -> Chosen:
    """`claim_plan` run in the session's transaction, its acceptance counted when that commits."""
    dialect = session.get_bind().dialect
    chosen = run_plan(session, claim_plan(kind, dialect, to_lock, check=check, choose=choose))
    booking_accepted_on_commit(session, kind)
    return chosen
