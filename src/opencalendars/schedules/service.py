"""User availability schedules and event-calendar schedules (PRODUCT §4.2, §6)."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.calendars.service import get_live_calendar
from opencalendars.db.database import Database
from opencalendars.db.queries import one_or_not_found
from opencalendars.errors import BadRequest, NotFound, Unprocessable
from opencalendars.ids import new_id
from opencalendars.schedules.models import EventCalendarSchedule, Schedule, ScheduleCalendar
from opencalendars.schedules.rules import normalized_rules, rule_problems, timezone_problems
from opencalendars.schedules.schemas import (
    CreateEventCalendarScheduleDTO,
    CreateScheduleDTO,
    UpdateEventCalendarScheduleDTO,
    UpdateScheduleDTO,
    rules_of,
)

SCHEDULE_NOT_FOUND = "Schedule not found"
ASSOCIATION_ATTEMPTS = 3


def checked_rules(rules: list[dict] | None, timezone: str | None) -> list[dict] | None:
    """The rules in stored form, or a 422 naming every problem of rules and zone."""
    problems = (rule_problems(rules) if rules is not None else []) + (
        timezone_problems(timezone) if timezone is not None else []
    )
    if problems:
        raise Unprocessable(problems)
    return normalized_rules(rules) if rules is not None else None


def get_schedule(
    session: Session, location_id: str, schedule_id: str, *, to_change: bool = False
) -> Schedule:
    query = select(Schedule).where(Schedule.id == schedule_id, Schedule.location_id == location_id)
    return one_or_not_found(session, query, SCHEDULE_NOT_FOUND, to_change=to_change)


def calendar_ids_of(session: Session, schedule_ids: list[str]) -> dict[str, list[str]]:
    """Each schedule's calendars, in the order they were associated."""
    rows = session.execute(
        select(ScheduleCalendar.schedule_id, ScheduleCalendar.calendar_id)
        .where(ScheduleCalendar.schedule_id.in_(schedule_ids))
        .order_by(ScheduleCalendar.date_added_ms, ScheduleCalendar.calendar_id)
    )
    found: dict[str, list[str]] = {schedule_id: [] for schedule_id in schedule_ids}
    for schedule_id, calendar_id in rows:
        found[schedule_id].append(calendar_id)
    return found


def associate(session: Session, schedule: Schedule, calendar_id: str) -> None:
    """Apply `schedule` to the calendar; the user's other schedule for it lets go (a move)."""
    get_live_calendar(session, schedule.location_id, calendar_id)
    session.execute(
        delete(ScheduleCalendar).where(
            ScheduleCalendar.location_id == schedule.location_id,
            ScheduleCalendar.user_id == schedule.user_id,
            ScheduleCalendar.calendar_id == calendar_id,
        )
    )
    session.add(
        ScheduleCalendar(
            schedule_id=schedule.id,
            calendar_id=calendar_id,
            location_id=schedule.location_id,
            user_id=schedule.user_id,
            date_added_ms=clock.now_ms(session),
        )
    )
    session.flush()


def create_schedule(db: Database, dto: CreateScheduleDTO) -> tuple[Schedule, list[str]]:
    rules = checked_rules(rules_of(dto.rules), dto.timezone)
    with db.write() as session:
        now = clock.now_ms(session)
        schedule = Schedule(
            id=new_id(),
            location_id=dto.locationId,
            user_id=dto.userId,
            name=dto.name,
            timezone=dto.timezone,
            rules=rules,
            date_added_ms=now,
            date_updated_ms=now,
        )
        session.add(schedule)
        session.flush()
        for calendar_id in dict.fromkeys(dto.calendarIds):
            associate(session, schedule, calendar_id)
        calendar_ids = calendar_ids_of(session, [schedule.id])[schedule.id]
    return schedule, calendar_ids


def search_schedules(
    db: Database, location_id: str, user_id: str, *, calendar_id: str | None, skip: int, limit: int
) -> list[tuple[Schedule, list[str]]]:
    """A user's schedules, oldest first (ties by id), optionally only those for a calendar."""
    query = (
        select(Schedule)
        .where(Schedule.location_id == location_id, Schedule.user_id == user_id)
        .order_by(Schedule.date_added_ms, Schedule.id)
        .offset(skip)
        .limit(limit)
    )
    if calendar_id is not None:
        query = query.join(ScheduleCalendar, ScheduleCalendar.schedule_id == Schedule.id).where(
            ScheduleCalendar.calendar_id == calendar_id
        )
    with db.read() as session:
        schedules = list(session.scalars(query))
        calendar_ids = calendar_ids_of(session, [s.id for s in schedules])
    return [(schedule, calendar_ids[schedule.id]) for schedule in schedules]


def read_schedule(db: Database, location_id: str, schedule_id: str):
    with db.read() as session:
        schedule = get_schedule(session, location_id, schedule_id)
        return schedule, calendar_ids_of(session, [schedule_id])[schedule_id]


def update_schedule(db: Database, location_id: str, schedule_id: str, *, dto: UpdateScheduleDTO):
    rules = checked_rules(rules_of(dto.rules) if dto.rules is not None else None, dto.timezone)
    with db.write() as session:
        schedule = get_schedule(session, location_id, schedule_id, to_change=True)
        if dto.name is not None:
            schedule.name = dto.name
        if rules is not None:
            schedule.rules = rules
        if dto.timezone is not None:
            schedule.timezone = dto.timezone
        schedule.date_updated_ms = clock.now_ms(session)
        return schedule, calendar_ids_of(session, [schedule_id])[schedule_id]


def delete_schedule(db: Database, location_id: str, schedule_id: str) -> None:
    """Permanent: the schedule and its associations are gone."""
    with db.write() as session:
        schedule = get_schedule(session, location_id, schedule_id, to_change=True)
        session.execute(delete(ScheduleCalendar).where(ScheduleCalendar.schedule_id == schedule_id))
        session.delete(schedule)


def add_calendar(db: Database, location_id: str, schedule_id: str, *, calendar_id: str) -> None:
    for attempt in range(ASSOCIATION_ATTEMPTS):
        try:
            with db.write() as session:
                schedule = get_schedule(session, location_id, schedule_id, to_change=True)
                associate(session, schedule, calendar_id)
            return
        except IntegrityError:
            # A concurrent association of the same user and calendar won; move it again.
            if attempt == ASSOCIATION_ATTEMPTS - 1:
                raise


def remove_calendar(db: Database, location_id: str, schedule_id: str, *, calendar_id: str) -> None:
    """Idempotent: a calendar that is not associated stays so."""
    with db.write() as session:
        get_schedule(session, location_id, schedule_id, to_change=True)
        get_live_calendar(session, location_id, calendar_id)
        session.execute(
            delete(ScheduleCalendar).where(
                ScheduleCalendar.schedule_id == schedule_id,
                ScheduleCalendar.calendar_id == calendar_id,
            )
        )


# ---- event-calendar schedules ----------------------------------------------------------------


def event_calendar(session: Session, location_id: str, calendar_id: str):
    calendar = get_live_calendar(session, location_id, calendar_id)
    if calendar.calendar_type != "event":
        raise BadRequest(["Only event calendars have an event-calendar schedule"])
    return calendar


def get_event_schedule(session: Session, location_id: str, calendar_id: str):
    event_calendar(session, location_id, calendar_id)
    schedule = session.get(EventCalendarSchedule, calendar_id)
    if schedule is None:
        raise NotFound(SCHEDULE_NOT_FOUND)
    return schedule


def create_event_schedule(
    db: Database, location_id: str, calendar_id: str, *, dto: CreateEventCalendarScheduleDTO
) -> EventCalendarSchedule:
    rules = checked_rules(rules_of(dto.rules), dto.timezone)
    try:
        with db.write() as session:
            event_calendar(session, location_id, calendar_id)
            if session.get(EventCalendarSchedule, calendar_id) is not None:
                raise BadRequest(["This calendar already has a schedule"])
            now = clock.now_ms(session)
            schedule = EventCalendarSchedule(
                calendar_id=calendar_id,
                location_id=location_id,
                timezone=dto.timezone,
                rules=rules,
                date_added_ms=now,
                date_updated_ms=now,
            )
            session.add(schedule)
    except IntegrityError:
        raise BadRequest(["This calendar already has a schedule"]) from None
    return schedule


def read_event_schedule(db: Database, location_id: str, calendar_id: str) -> EventCalendarSchedule:
    with db.read() as session:
        return get_event_schedule(session, location_id, calendar_id)


def update_event_schedule(
    db: Database, location_id: str, calendar_id: str, *, dto: UpdateEventCalendarScheduleDTO
) -> EventCalendarSchedule:
    rules = checked_rules(rules_of(dto.rules) if dto.rules is not None else None, dto.timezone)
    with db.write() as session:
        schedule = get_event_schedule(session, location_id, calendar_id)
        if rules is not None:
            schedule.rules = rules
        if dto.timezone is not None:
            schedule.timezone = dto.timezone
        schedule.date_updated_ms = clock.now_ms(session)
    return schedule
