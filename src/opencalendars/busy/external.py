"""Busy time synced from people's own calendars (conflict calendars, PRODUCT §16): what
`sync/` stored in `external_busy`, read like blocked slots, as plain tuples over an indexed
range."""

from collections import defaultdict

from orjson import loads
from sqlalchemy import bindparam, func, select

from opencalendars.db.batch import Fetch
from opencalendars.db.prepared import PreparedRead
from opencalendars.sync.models import MAX_SPAN_MS, ExternalBusy

_busy = ExternalBusy.__table__.c
# Spans are stored in pieces of at most MAX_SPAN_MS, so the look-back keeps the read a range
# scan of the covering index `ix_external_busy_busy`.
_EXTERNAL_BUSY_WHERE = (
    _busy.location_id == bindparam("location_id"),
    _busy.user_id.in_(bindparam("user_ids", expanding=True)),
    _busy.start_ms < bindparam("end_ms"),
    _busy.start_ms > bindparam("lookback_ms"),
    _busy.end_ms > bindparam("start_ms"),
)
# Built once: free slots and bookings run it on their hot path.
_EXTERNAL_BUSY = PreparedRead(
    select(_busy.user_id, _busy.start_ms, _busy.end_ms).where(*_EXTERNAL_BUSY_WHERE),
    named=False,
)
# On SQLite a row costs more in Python than in SQLite (as for appointments, busy/appointments.py):
# one row per person, starts and ends as JSON arrays built in the same pass, in the index's order.
_EXTERNAL_BUSY_SQLITE = PreparedRead(
    select(
        _busy.user_id, func.json_group_array(_busy.start_ms), func.json_group_array(_busy.end_ms)
    )
    .where(*_EXTERNAL_BUSY_WHERE)
    .group_by(_busy.user_id),
    named=False,
)


def _by_person(rows: list[tuple]) -> dict[str, list[tuple[int, int]]]:
    found: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for user_id, start, end in rows:
        found[user_id].append((start, end))
    return found


def _by_person_sqlite(rows: list[tuple]) -> dict[str, list[tuple[int, int]]]:
    return {
        user_id: list(zip(loads(starts), loads(ends), strict=True))
        for user_id, starts, ends in rows
    }


def external_spans(
    location_id: str,
    user_ids: list[str],
    *,
    start_ms: int,
    end_ms: int,
) -> Fetch:
    """The synced busy time of these people (at least one) that overlaps the range, by person:
    `{user_id: [(start_ms, end_ms), ...]}` (people without any are left out)."""
    parameters = {
        "location_id": location_id,
        "user_ids": user_ids,
        "start_ms": start_ms,
        "end_ms": end_ms,
        "lookback_ms": start_ms - MAX_SPAN_MS - 1,
    }
    return Fetch(
        _EXTERNAL_BUSY,
        parameters,
        shape=_by_person,
        sqlite=Fetch(_EXTERNAL_BUSY_SQLITE, parameters, shape=_by_person_sqlite),
    )
