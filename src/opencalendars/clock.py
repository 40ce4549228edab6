"""The one source of "now" for the whole server.

Real time, unless the admin API froze it: the frozen instant lives in the database
so that every server process and worker sees the same sandbox time.
"""

import time

from sqlalchemy import BigInteger, Integer, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from opencalendars.db.base import Base
from opencalendars.db.batch import Fetch
from opencalendars.db.prepared import PreparedRead

CLOCK_ROW_ID = 1


class ServerClock(Base):
    """One row: the frozen "now" shared by every server process, or NULL for real time."""

    __tablename__ = "server_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    frozen_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


def real_now_ms() -> int:
    return time.time_ns() // 1_000_000


# Built once: every booking and free-slots read asks for the time.
_FROZEN = PreparedRead(
    select(ServerClock.__table__.c.frozen_ms).where(ServerClock.__table__.c.id == CLOCK_ROW_ID),
    named=False,
)


def _now_from(row: tuple | None) -> int:
    return real_now_ms() if row is None or row[0] is None else row[0]


def now() -> Fetch:
    """The server's "now" as a plan's fetch (db/batch.py): read with the data it goes with."""
    return Fetch(_FROZEN, {}, one=True, shape=_now_from)


def frozen_ms(session: Session) -> int | None:
    row = _FROZEN.first(session, {})
    return None if row is None else row[0]


def now_ms(session: Session) -> int:
    return _now_from(_FROZEN.first(session, {}))


def set_frozen_ms(session: Session, value: int | None) -> None:
    """Freeze the clock at `value`, or return to real time with None."""
    changed = session.execute(
        update(ServerClock).where(ServerClock.id == CLOCK_ROW_ID).values(frozen_ms=value)
    )
    if changed.rowcount == 0:
        session.add(ServerClock(id=CLOCK_ROW_ID, frozen_ms=value))
