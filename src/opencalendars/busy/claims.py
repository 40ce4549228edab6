"""The one booking pipeline: lock, check, choose — for appointments and service bookings alike.

A booking takes the booking locks of everything it could exhaust (db/locks.py: every person who
could be assigned, an event calendar, a room), then checks against the busy picture read afresh
under those locks (`busy.people`), then chooses who is booked. The caller writes in the same
transaction, so two bookings that need the same person take turns and the second sees the
first. Each front door (`appointments.booking.book`, `services.bookings.choose_staff`) says what
to lock and how to check and choose; this says in which order, and counts the outcome.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from opencalendars.db.locks import take_booking_locks
from opencalendars.errors import BadRequest
from opencalendars.metrics import booking_accepted_on_commit, booking_refused

Chosen = TypeVar("Chosen")


class SlotTaken(BadRequest):
    """Nobody who could be booked is free: counted as `slot_taken` (other refusals: `invalid`)."""


def claim(
    session: Session,
    kind: str,
    lock_keys: Callable[[], list[str]],
    *,
    check_and_choose: Callable[[], Chosen],
) -> Chosen:
    """`lock_keys()` (which may refuse the request before anything is locked), the locks, then
    `check_and_choose()`. A refusal (`BadRequest`) is counted at once (metrics.py, `kind`:
    appointment or service); an acceptance when the caller's transaction commits."""
    try:
        take_booking_locks(session, lock_keys())
        chosen = check_and_choose()
    except BadRequest as refusal:
        booking_refused(kind, "slot_taken" if isinstance(refusal, SlotTaken) else "invalid")
        raise
    booking_accepted_on_commit(session, kind)
    return chosen
