"""The rooms and equipment whose units a calendar's bookings use (PRODUCT §4.4)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from opencalendars.calendars.rules import CalendarRules
from opencalendars.resources.models import CalendarResource


def resources_of_calendar(session: Session, calendar: CalendarRules) -> list[CalendarResource]:
    """The live, active resources mapped to a calendar (inactive ones are ignored)."""
    if calendar.calendar_type != "service_booking":
        return []
    candidates = session.scalars(
        select(CalendarResource).where(
            CalendarResource.location_id == calendar.location_id,
            CalendarResource.deleted.is_(False),
            CalendarResource.is_active.is_(True),
        )
    )
    return [resource for resource in candidates if calendar.id in resource.calendar_ids]
