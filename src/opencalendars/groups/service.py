"""Calendar groups: slugs unique among a location's live groups, soft delete, status."""

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.calendars.models import Calendar
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead
from opencalendars.db.queries import get_live, live
from opencalendars.errors import BadRequest
from opencalendars.groups.models import CalendarGroup
from opencalendars.groups.schemas import GroupCreateDTO, GroupUpdateDTO
from opencalendars.ids import new_id
from opencalendars.slugs import is_slug

SLUG_TAKEN = "slug is already used by another group of this location"


def get_live_group(
    session: Session, location_id: str, group_id: str, *, to_change: bool = False
) -> CalendarGroup:
    return get_live(
        session,
        CalendarGroup,
        location_id,
        row_id=group_id,
        message="Group not found",
        to_change=to_change,
    )


def slug_in_use(session: Session, location_id: str, slug: str, *, except_id: str | None) -> bool:
    query = live(CalendarGroup, location_id).where(CalendarGroup.slug == slug)
    if except_id is not None:
        query = query.where(CalendarGroup.id != except_id)
    return session.scalar(query.limit(1)) is not None


_groups = CalendarGroup.__table__
# Built once: one of the most frequent reads, answered from plain rows.
_LIVE_GROUPS = PreparedRead(
    select(_groups)
    .where(_groups.c.location_id == bindparam("location_id"), _groups.c.deleted.is_(False))
    .order_by(_groups.c.date_added_ms, _groups.c.id)
)


async def list_groups(db: Database, location_id: str) -> list[tuple]:
    """Oldest first, ties broken by id: a stable order. Read without leaving the event loop."""
    return await db.read_rows(_LIVE_GROUPS, {"location_id": location_id})


def create_group(db: Database, dto: GroupCreateDTO) -> CalendarGroup:
    try:
        with db.write() as session:
            if slug_in_use(session, dto.locationId, dto.slug, except_id=None):
                raise BadRequest([SLUG_TAKEN])
            now = clock.now_ms(session)
            group = CalendarGroup(
                id=new_id(),
                location_id=dto.locationId,
                name=dto.name,
                description=dto.description,
                slug=dto.slug,
                is_active=dto.isActive,
                deleted=False,
                date_added_ms=now,
                date_updated_ms=now,
            )
            session.add(group)
    except IntegrityError:
        # A concurrent request took the slug between our check and our insert.
        raise BadRequest([SLUG_TAKEN]) from None
    return group


def is_slug_available(db: Database, location_id: str, slug: str) -> bool:
    """A slug that breaks the format can never be used, so it is not available."""
    if not is_slug(slug):
        return False
    with db.read() as session:
        return not slug_in_use(session, location_id, slug, except_id=None)


def update_group(db: Database, location_id: str, group_id: str, *, dto: GroupUpdateDTO):
    try:
        with db.write() as session:
            group = get_live_group(session, location_id, group_id, to_change=True)
            if slug_in_use(session, location_id, dto.slug, except_id=group_id):
                raise BadRequest([SLUG_TAKEN])
            group.name = dto.name
            group.description = dto.description
            group.slug = dto.slug
            group.date_updated_ms = clock.now_ms(session)
    except IntegrityError:
        raise BadRequest([SLUG_TAKEN]) from None
    return group


def set_group_status(db: Database, location_id: str, group_id: str, *, is_active: bool) -> None:
    with db.write() as session:
        group = get_live_group(session, location_id, group_id, to_change=True)
        group.is_active = is_active
        group.date_updated_ms = clock.now_ms(session)


def delete_group(db: Database, location_id: str, group_id: str) -> None:
    """Soft delete: the slug becomes free again, the group is never shown, and its
    calendars are ungrouped."""
    with db.write() as session:
        group = get_live_group(session, location_id, group_id, to_change=True)
        group.deleted = True
        group.date_updated_ms = clock.now_ms(session)
        session.execute(
            update(Calendar)
            .where(Calendar.location_id == location_id, Calendar.group_id == group_id)
            .values(group_id=None)
        )
