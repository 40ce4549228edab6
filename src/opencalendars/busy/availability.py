"""The hours that decide who can be booked: each member's schedule for a calendar, an event
calendar's own schedule (or its legacy open hours), Services V2 staff schedules (PRODUCT §4.2)."""

from dataclasses import dataclass
from functools import lru_cache

from orjson import loads
from sqlalchemy import Text, bindparam, cast, select
from sqlalchemy.orm import Session

from opencalendars.availability.resolver import availability_for_member, calendar_availability
from opencalendars.availability.rules import Availability
from opencalendars.availability.sources import from_open_hours, from_schedule_rules
from opencalendars.calendars.rules import CalendarRules
from opencalendars.db.prepared import PreparedRead
from opencalendars.schedules.models import EventCalendarSchedule, Schedule, ScheduleCalendar


@dataclass(frozen=True)
class CalendarAvailability:
    """The resolver's input for one calendar: its own availability and its members'."""

    calendar: Availability
    members: dict[str, Availability]

    def for_member(self, user_id: str) -> Availability:
        return availability_for_member(user_id, self.members, self.calendar)


_links, _schedules = ScheduleCalendar.__table__.c, Schedule.__table__.c
# Built once: every free-slots read and booking loads the hours this way. The rules come as
# their stored JSON text: the key of the parsed hours (`schedule_hours`).
_MEMBER_SCHEDULES = PreparedRead(
    select(_links.user_id, cast(_schedules.rules, Text), _schedules.timezone)
    .join_from(ScheduleCalendar.__table__, Schedule.__table__, _schedules.id == _links.schedule_id)
    .where(
        _links.calendar_id == bindparam("calendar_id"),
        _links.user_id.in_(bindparam("user_ids", expanding=True)),
    ),
    named=False,
)
_event_schedules = EventCalendarSchedule.__table__.c
_EVENT_SCHEDULE = PreparedRead(
    select(_event_schedules.rules, _event_schedules.timezone).where(
        _event_schedules.calendar_id == bindparam("calendar_id")
    ),
    named=False,
)


@lru_cache(maxsize=4096)
def schedule_hours(rules_text: str, zone: str) -> Availability:
    """A schedule's hours from its rules as stored. A pure function of its arguments, so kept
    across requests (a changed schedule is other text, parsed anew): parsing is most of the
    cost of reading a team's schedules."""
    return from_schedule_rules(loads(rules_text), zone)


def load_calendar_availability(
    session: Session, calendar: CalendarRules, location_zone: str
) -> CalendarAvailability:
    """Each team member's schedule for this calendar, and the calendar's own availability
    (its event-calendar schedule, else its legacy open hours in the location's zone)."""
    member_ids = calendar.members
    rows = _MEMBER_SCHEDULES.all(session, {"calendar_id": calendar.id, "user_ids": member_ids})
    # Members often keep the same hours: each distinct schedule is one object (and
    # `persons_for` resolves the windows of one object once).
    members = {user_id: schedule_hours(rules, zone) for user_id, rules, zone in rows}
    event_schedule = _EVENT_SCHEDULE.first(session, {"calendar_id": calendar.id})
    own = calendar_availability(
        from_schedule_rules(*event_schedule) if event_schedule is not None else None,
        from_open_hours(
            list(calendar.open_hours),
            list(calendar.availabilities),
            location_zone,
        ),
    )
    return CalendarAvailability(calendar=own, members=members)


def load_staff_availability(
    session: Session, location_id: str, user_ids: list[str]
) -> dict[str, Availability]:
    """Services V2 staff hours (PRODUCT §4.2): each user's most recently created schedule that
    no calendar uses. A user without one has no hours for services."""
    unassociated = (
        ~select(ScheduleCalendar.schedule_id)
        .where(ScheduleCalendar.schedule_id == Schedule.id)
        .exists()
    )
    rows = session.execute(
        select(Schedule.user_id, Schedule.rules, Schedule.timezone)
        .where(Schedule.location_id == location_id, Schedule.user_id.in_(user_ids), unassociated)
        .order_by(Schedule.date_added_ms, Schedule.id)
    )
    # Oldest first, so the most recent schedule of each user is the one left in the dict.
    return {user_id: from_schedule_rules(rules, zone) for user_id, rules, zone in rows}
