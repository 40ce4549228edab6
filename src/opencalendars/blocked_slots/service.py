"""Blocked slots: calendar-level blocks block that calendar, user-level blocks block that user
in every calendar (PRODUCT §4.3, §5)."""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.blocked_slots.models import BlockedSlot
from opencalendars.blocked_slots.schemas import BlockSlotCreateRequestDTO, BlockSlotEditRequestDTO
from opencalendars.calendars.models import Calendar
from opencalendars.calendars.service import calendar_ids_in_group, get_live_calendar
from opencalendars.db.database import Database
from opencalendars.db.queries import for_change, get_live, live
from opencalendars.errors import BadRequest
from opencalendars.http.event_lists import MAX_EVENTS, EventListQuery, check_count
from opencalendars.http.times import BodyTimes
from opencalendars.ids import new_id

EVENT_NOT_FOUND = "Event not found"
ONE_OWNER = "exactly one of calendarId or assignedUserId is required"


def get_live_block(
    session: Session, location_id: str, block_id: str, *, to_change: bool = False
) -> BlockedSlot:
    return get_live(
        session,
        BlockedSlot,
        location_id,
        row_id=block_id,
        message=EVENT_NOT_FOUND,
        to_change=to_change,
    )


# Calendar-level blocks are for calendars whose time is the calendar's own (PRODUCT §12: the
# live service answers this for a round robin); team members are blocked one by one.
BLOCKABLE_CALENDAR_TYPES = ("event", "personal")
NOT_BLOCKABLE = "The calendar is not an event calendar"


def blockable_calendar(session: Session, location_id: str, calendar_id: str) -> None:
    """404 for an unknown calendar, 400 for one whose blocks belong to its members."""
    calendar = get_live_calendar(session, location_id, calendar_id)
    if calendar.calendar_type not in BLOCKABLE_CALENDAR_TYPES:
        raise BadRequest(NOT_BLOCKABLE)


def check_times(start_ms: int, end_ms: int) -> None:
    if end_ms <= start_ms:
        raise BadRequest(["endTime must be after startTime"])


def create_block(db: Database, dto: BlockSlotCreateRequestDTO, times: BodyTimes) -> BlockedSlot:
    if (dto.calendarId is None) == (dto.assignedUserId is None):
        raise BadRequest([ONE_OWNER])
    start_ms, end_ms = times.start_ms, times.end_ms
    check_times(start_ms, end_ms)
    with db.write() as session:
        if dto.calendarId is not None:
            blockable_calendar(session, dto.locationId, dto.calendarId)
        now = clock.now_ms(session)
        block = BlockedSlot(
            id=new_id(),
            location_id=dto.locationId,
            calendar_id=dto.calendarId,
            assigned_user_id=dto.assignedUserId,
            title=dto.title,
            start_ms=start_ms,
            end_ms=end_ms,
            deleted=False,
            date_added_ms=now,
            date_updated_ms=now,
        )
        session.add(block)
    return block


def update_block(
    db: Database, block_id: str, dto: BlockSlotEditRequestDTO, *, times: BodyTimes
) -> BlockedSlot:
    """Partial. Naming a calendar or a user moves the block to it (naming both is refused)."""
    if dto.calendarId is not None and dto.assignedUserId is not None:
        raise BadRequest([ONE_OWNER])
    with db.write() as session:
        block = get_live_block(session, dto.locationId, block_id, to_change=True)
        if dto.calendarId is not None:
            blockable_calendar(session, dto.locationId, dto.calendarId)
            block.calendar_id, block.assigned_user_id = dto.calendarId, None
        if dto.assignedUserId is not None:
            block.calendar_id, block.assigned_user_id = None, dto.assignedUserId
        if dto.title is not None:
            block.title = dto.title
        if times.start_ms is not None:
            block.start_ms = times.start_ms
        if times.end_ms is not None:
            block.end_ms = times.end_ms
        check_times(block.start_ms, block.end_ms)
        block.date_updated_ms = clock.now_ms(session)
    return block


def list_blocks(db: Database, query: EventListQuery) -> list[tuple[BlockedSlot, str | None]]:
    """Blocks overlapping the range that match any of the filters, by start; each with its
    calendar's group. 400 when there are more than `MAX_EVENTS` (one more is read to know)."""
    owners = []
    if query.calendar_id is not None:
        owners.append(BlockedSlot.calendar_id == query.calendar_id)
    if query.user_id is not None:
        owners.append(BlockedSlot.assigned_user_id == query.user_id)
    if query.group_id is not None:
        grouped = calendar_ids_in_group(query.location_id, query.group_id)
        owners.append(BlockedSlot.calendar_id.in_(grouped))
    statement = (
        select(BlockedSlot, Calendar.group_id)
        .outerjoin(Calendar, Calendar.id == BlockedSlot.calendar_id)
        .where(
            BlockedSlot.location_id == query.location_id,
            BlockedSlot.deleted.is_(False),
            BlockedSlot.start_ms < query.end_ms,
            BlockedSlot.end_ms > query.start_ms,
            or_(*owners),
        )
        .order_by(BlockedSlot.start_ms, BlockedSlot.id)
        .limit(MAX_EVENTS + 1)
    )
    with db.read() as session:
        found = [(block, group) for block, group in session.execute(statement)]
    check_count(len(found))
    return found


def delete_block(session: Session, location_id: str, block_id: str) -> bool:
    """Soft delete: the block is kept, never shown again, and frees its time. False when there
    is no such live block (the id may be an appointment's)."""
    block = session.scalar(
        for_change(live(BlockedSlot, location_id).where(BlockedSlot.id == block_id))
    )
    if block is None:
        return False
    block.deleted = True
    block.date_updated_ms = clock.now_ms(session)
    return True
