"""The rooms and equipment whose units a calendar's bookings use (PRODUCT §4.4)."""

from typing import NamedTuple

from sqlalchemy import bindparam, select

from opencalendars.calendars.rules import CalendarRules
from opencalendars.db.batch import Fetch, Plan
from opencalendars.db.prepared import PreparedRead
from opencalendars.resources.models import CalendarResource, units_of


class MappedResource(NamedTuple):
    id: str
    units: int  # how many bookings it serves at once
    calendar_ids: list[str]  # every calendar whose bookings use it


_resources = CalendarResource.__table__.c
_LIVE_RESOURCES = PreparedRead(
    select(
        _resources.id,
        _resources.resource_type,
        _resources.quantity,
        _resources.out_of_service,
        _resources.capacity,
        _resources.calendar_ids,
    ).where(
        _resources.location_id == bindparam("location_id"),
        _resources.deleted.is_(False),
        _resources.is_active.is_(True),
    ),
    named=False,
)


def resources_of_calendar(calendar: CalendarRules) -> Plan[list[MappedResource]]:
    """The live, active resources mapped to a calendar (inactive ones are ignored)."""
    if calendar.calendar_type != "service_booking":
        return []
    (rows,) = yield [Fetch(_LIVE_RESOURCES, {"location_id": calendar.location_id})]
    return [
        MappedResource(
            id_,
            units_of(kind, quantity=quantity, out_of_service=out_of_service, capacity=capacity),
            calendar_ids,
        )
        for id_, kind, quantity, out_of_service, capacity, calendar_ids in rows
        if calendar.id in calendar_ids
    ]
