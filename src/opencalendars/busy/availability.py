"""The hours that decide who can be booked: each member's schedule for a calendar, an event
calendar's own schedule (or its legacy open hours), Services V2 staff schedules (PRODUCT §4.2)."""

from dataclasses import dataclass
from functools import lru_cache

from orjson import loads
from sqlalchemy import Text, bindparam, cast, select

from opencalendars.availability.resolver import availability_for_member, calendar_availability
from opencalendars.availability.rules import Availability
from opencalendars.availability.sources import from_open_hours, from_schedule_rules
from opencalendars.calendars.rules import CalendarRules
from opencalendars.db.batch import Fetch, Plan
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
    calendar: CalendarRules, location_zone: str
) -> Plan[CalendarAvailability]:
    """Each team member's schedule for this calendar, and the calendar's own availability
    (its event-calendar schedule, else its legacy open hours in the location's zone)."""
    rows, event_schedule = yield [
        Fetch(_MEMBER_SCHEDULES, {"calendar_id": calendar.id, "user_ids": calendar.members}),
        Fetch(_EVENT_SCHEDULE, {"calendar_id": calendar.id}, one=True),
    ]
    # Members often keep the same hours: each distinct schedule is one object (and
    # `persons_for` resolves the windows of one object once).
    members = {user_id: schedule_hours(rules, zone) for user_id, rules, zone in rows}
    own = calendar_availability(
        from_schedule_rules(*event_schedule) if event_schedule is not None else None,
        from_open_hours(
            list(calendar.open_hours),
            list(calendar.availabilities),
            location_zone,
        ),
    )
    return CalendarAvailability(calendar=own, members=members)


_unassociated = ~select(_links.schedule_id).where(_links.schedule_id == _schedules.id).exists()
_STAFF_SCHEDULES = PreparedRead(
    select(_schedules.user_id, _schedules.rules, _schedules.timezone)
    .where(
        _schedules.location_id == bindparam("location_id"),
        _schedules.user_id.in_(bindparam("user_ids", expanding=True)),
        _unassociated,
    )
    .order_by(_schedules.date_added_ms, _schedules.id),
    named=False,
)


def _latest_by_user(rows: list[tuple]) -> dict[str, Availability]:
    # Oldest first, so the most recent schedule of each user is the one left in the dict.
    return {user_id: from_schedule_rules(rules, zone) for user_id, rules, zone in rows}


def load_staff_availability(location_id: str, user_ids: list[str]) -> Fetch:
    """Services V2 staff hours (PRODUCT §4.2), `{user_id: Availability}`: each user's most
    recently created schedule that no calendar uses. A user without one has no hours for
    services."""
    return Fetch(
        _STAFF_SCHEDULES, {"location_id": location_id, "user_ids": user_ids}, shape=_latest_by_user
    )
