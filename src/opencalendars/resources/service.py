"""Rooms and equipment: validation (PRODUCT §6) and what the engine reads of them (§4.4)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.calendars.models import Calendar
from opencalendars.db.database import Database
from opencalendars.db.queries import live, one_or_not_found
from opencalendars.errors import BadRequest
from opencalendars.ids import new_id
from opencalendars.resources.models import CalendarResource
from opencalendars.resources.schemas import CreateCalendarResourceDTO, UpdateCalendarResourceDTO

RESOURCE_NOT_FOUND = "Resource not found"


def live_resources(location_id: str, resource_type: str | None = None):
    query = live(CalendarResource, location_id)
    if resource_type is not None:
        query = query.where(CalendarResource.resource_type == resource_type)
    return query


def get_live_resource(
    session: Session,
    location_id: str,
    resource_type: str,
    *,
    resource_id: str,
    to_change: bool = False,
) -> CalendarResource:
    query = live_resources(location_id, resource_type).where(CalendarResource.id == resource_id)
    return one_or_not_found(session, query, RESOURCE_NOT_FOUND, to_change=to_change)


def unit_problems(resource: CalendarResource) -> list[str]:
    if resource.resource_type == "equipments":
        problems = [] if resource.quantity >= 1 else ["quantity must not be less than 1"]
        if not 0 <= resource.out_of_service <= resource.quantity:
            problems.append("outOfService must be between 0 and quantity")
        return problems
    return [] if resource.capacity >= 1 else ["capacity must not be less than 1"]


def calendar_problems(session: Session, resource: CalendarResource) -> list[str]:
    """Mapped calendars are live `service_booking` calendars of the location; equipment maps
    to one calendar at most, a room to many."""
    ids = resource.calendar_ids
    problems = []
    if resource.resource_type == "equipments" and len(ids) > 1:
        problems.append("calendarIds may hold one calendar at most for equipment")
    if ids:
        found = set(
            session.scalars(
                select(Calendar.id).where(
                    Calendar.location_id == resource.location_id,
                    Calendar.id.in_(ids),
                    Calendar.deleted.is_(False),
                    Calendar.calendar_type == "service_booking",
                )
            )
        )
        problems += [
            f"calendarIds.{i} must be a service_booking calendar of this location"
            for i, calendar_id in enumerate(ids)
            if calendar_id not in found
        ]
    return problems


def check(session: Session, resource: CalendarResource) -> None:
    problems = unit_problems(resource) + calendar_problems(session, resource)
    if problems:
        raise BadRequest(problems)


def create_resource(
    db: Database, resource_type: str, dto: CreateCalendarResourceDTO
) -> CalendarResource:
    with db.write() as session:
        now = clock.now_ms(session)
        resource = CalendarResource(
            id=new_id(),
            location_id=dto.locationId,
            resource_type=resource_type,
            name=dto.name,
            description=dto.description,
            quantity=dto.quantity or 0,
            out_of_service=dto.outOfService or 0,
            capacity=dto.capacity or 0,
            calendar_ids=list(dict.fromkeys(dto.calendarIds)),
            is_active=dto.isActive,
            deleted=False,
            date_added_ms=now,
            date_updated_ms=now,
        )
        check(session, resource)
        session.add(resource)
    return resource


def list_resources(
    db: Database, location_id: str, resource_type: str, *, limit: int, skip: int
) -> list[CalendarResource]:
    """Oldest first, ties by id."""
    query = (
        live_resources(location_id, resource_type)
        .order_by(CalendarResource.date_added_ms, CalendarResource.id)
        .offset(skip)
        .limit(limit)
    )
    with db.read() as session:
        return list(session.scalars(query))


def read_resource(db: Database, location_id: str, resource_type: str, *, resource_id: str):
    with db.read() as session:
        return get_live_resource(session, location_id, resource_type, resource_id=resource_id)


def update_resource(
    db: Database,
    location_id: str,
    resource_type: str,
    *,
    resource_id: str,
    dto: UpdateCalendarResourceDTO,
) -> CalendarResource:
    with db.write() as session:
        resource = get_live_resource(
            session, location_id, resource_type, resource_id=resource_id, to_change=True
        )
        if dto.name is not None:
            resource.name = dto.name
        if dto.description is not None:
            resource.description = dto.description
        if dto.quantity is not None:
            resource.quantity = dto.quantity
        if dto.outOfService is not None:
            resource.out_of_service = dto.outOfService
        if dto.capacity is not None:
            resource.capacity = dto.capacity
        if dto.calendarIds is not None:
            resource.calendar_ids = list(dict.fromkeys(dto.calendarIds))
        if dto.isActive is not None:
            resource.is_active = dto.isActive
        check(session, resource)
        resource.date_updated_ms = clock.now_ms(session)
    return resource


def delete_resource(db: Database, location_id: str, resource_type: str, *, resource_id: str):
    """Soft delete: never shown again and no longer limits bookings."""
    with db.write() as session:
        resource = get_live_resource(
            session, location_id, resource_type, resource_id=resource_id, to_change=True
        )
        resource.deleted = True
        resource.date_updated_ms = clock.now_ms(session)
