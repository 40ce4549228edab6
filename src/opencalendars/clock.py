"""The one source of "now" for the whole server.

Real time, unless the admin API froze it: the frozen instant lives in the database
so that every server process and worker sees the same sandbox time.
"""

import time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from opencalendars.admin.models import ServerClock

CLOCK_ROW_ID = 1


def real_now_ms() -> int:
    return time.time_ns() // 1_000_000


def frozen_ms(session: Session) -> int | None:
    return session.scalar(select(ServerClock.frozen_ms).where(ServerClock.id == CLOCK_ROW_ID))


def now_ms(session: Session) -> int:
    frozen = frozen_ms(session)
    return real_now_ms() if frozen is None else frozen


def set_frozen_ms(session: Session, value: int | None) -> None:
    """Freeze the clock at `value`, or return to real time with None."""
    changed = session.execute(
        update(ServerClock).where(ServerClock.id == CLOCK_ROW_ID).values(frozen_ms=value)
    )
    if changed.rowcount == 0:
        session.add(ServerClock(id=CLOCK_ROW_ID, frozen_ms=value))
