"""Blocked slots as busy time: a calendar's own blocks and its people's user blocks."""

from sqlalchemy import String, bindparam, cast, null, select, union_all

from opencalendars.blocked_slots.models import BlockedSlot
from opencalendars.db.batch import Fetch
from opencalendars.db.prepared import PreparedRead

_blocks = BlockedSlot.__table__.c
_OVERLAPPING = (
    _blocks.location_id == bindparam("location_id"),
    _blocks.end_ms > bindparam("start_ms"),
    _blocks.start_ms < bindparam("end_ms"),
    _blocks.deleted.is_(False),
)
_OF_CALENDAR = _blocks.calendar_id == bindparam("calendar_id")
_OF_USERS = _blocks.assigned_user_id.in_(bindparam("user_ids", expanding=True))
_BLOCKING = PreparedRead(
    union_all(
        select(cast(null(), String), _blocks.start_ms, _blocks.end_ms).where(
            _OF_CALENDAR, *_OVERLAPPING
        ),
        select(_blocks.assigned_user_id, _blocks.start_ms, _blocks.end_ms).where(
            _OF_USERS, *_OVERLAPPING
        ),
    ),
    named=False,
)


def blocking_spans(
    location_id: str,
    calendar_id: str | None,
    *,
    user_ids: list[str],
    start_ms: int,
    end_ms: int,
) -> Fetch:
    """What blocks a calendar's free slots: `(its own blocks, {member: their user blocks})`.
    Without a calendar (Services V2 staff), only the users' blocks."""

    def by_owner(rows: list[tuple]) -> tuple[list, dict[str, list[tuple[int, int]]]]:
        calendar_blocks: list[tuple[int, int]] = []
        user_blocks: dict[str, list[tuple[int, int]]] = {user_id: [] for user_id in user_ids}
        for user_id, start, end in rows:
            if user_id is None:
                calendar_blocks.append((start, end))
            else:
                user_blocks[user_id].append((start, end))
        return calendar_blocks, user_blocks

    parameters = {
        "location_id": location_id,
        "calendar_id": calendar_id,
        "user_ids": user_ids,
        "start_ms": start_ms,
        "end_ms": end_ms,
    }
    return Fetch(
        _BLOCKING,
        parameters,
        shape=by_owner,
    )
