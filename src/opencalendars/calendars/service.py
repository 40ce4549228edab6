"""Calendars: validation of every calendar type (PRODUCT §6), slugs, groups, soft delete."""

from datetime import date

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.calendars.models import Calendar
from opencalendars.calendars.rules import (
    BUFFER_FIELDS,
    MAX_BUFFER_MS,
    CalendarRules,
    buffer_reach_ms,
)
from opencalendars.calendars.schemas import CalendarCreateDTO, CalendarUpdateDTO
from opencalendars.db.batch import Fetch, Plan, run_plan
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead
from opencalendars.db.queries import get_live, live
from opencalendars.errors import BadRequest, NotFound
from opencalendars.groups import service as groups
from opencalendars.ids import new_id
from opencalendars.schedules.models import ScheduleCalendar
from opencalendars.slugs import slugify
from opencalendars.units import MINUTE_MS, UNIT_MS

TEAM_REQUIRED = {"round_robin", "collective", "class_booking", "service_booking"}
CONFERENCE_KINDS = ("zoom_conference", "google_conference", "ms_teams_conference")
DURATION_FIELDS = ("slotDuration", "slotInterval", "slotBuffer", "preBuffer")
# Fields kept in their own columns rather than in `settings`.
COLUMN_FIELDS = {"locationId", "name", "calendarType", "slug", "widgetSlug", "isActive", "groupId"}
SLUG_ATTEMPTS = 5
CALENDAR_NOT_FOUND = "Calendar not found"


def get_live_calendar(
    session: Session, location_id: str, calendar_id: str, *, to_change: bool = False
) -> Calendar:
    return get_live(
        session,
        Calendar,
        location_id,
        row_id=calendar_id,
        message=CALENDAR_NOT_FOUND,
        to_change=to_change,
    )


_calendars = Calendar.__table__
# Built once: `GET /calendars/{id}` and free slots read a plain row (the ORM object's names).
_LIVE_CALENDAR = PreparedRead(
    select(_calendars).where(
        _calendars.c.location_id == bindparam("location_id"),
        _calendars.c.id == bindparam("calendar_id"),
        _calendars.c.deleted.is_(False),
    )
)

# The longest buffer of a location's calendars, deleted ones included (their appointments are
# still read until they are deleted too): the last entry of its part of the index
# (location_id, buffer_reach_ms), one seek however many calendars it has.
_LOCATION_BUFFER_REACH = PreparedRead(
    select(_calendars.c.buffer_reach_ms)
    .where(_calendars.c.location_id == bindparam("location_id"))
    .order_by(_calendars.c.buffer_reach_ms.desc())
    .limit(1)
)


def _reach_of(row: tuple | None) -> int:
    return row.buffer_reach_ms if row is not None else 0


async def read_calendar(db: Database, location_id: str, calendar_id: str) -> tuple:
    """`GET /calendars/{id}`'s one read, without leaving the event loop (`Database.read_first`)."""
    parameters = {"location_id": location_id, "calendar_id": calendar_id}
    row = await db.read_first(_LIVE_CALENDAR, parameters)
    if row is None:
        raise NotFound(CALENDAR_NOT_FOUND)
    return row


def live_calendar(location_id: str, calendar_id: str) -> Plan[CalendarRules]:
    """The live calendar as the hot path reads it (free slots, booking): its `CalendarRules`,
    with the longest buffer of its location's calendars, as a plan (db/batch.py), so it goes
    out with the reads that do not depend on it."""
    row, reach = yield [
        Fetch(_LIVE_CALENDAR, {"location_id": location_id, "calendar_id": calendar_id}, one=True),
        Fetch(_LOCATION_BUFFER_REACH, {"location_id": location_id}, one=True, shape=_reach_of),
    ]
    if row is None:
        raise NotFound(CALENDAR_NOT_FOUND)
    return CalendarRules.of(row, location_buffer_reach_ms=reach)


def read_live_calendar(session: Session, location_id: str, calendar_id: str) -> CalendarRules:
    """`live_calendar` on its own, inside a session's transaction."""
    return run_plan(session, live_calendar(location_id, calendar_id))


def calendar_ids_in_group(location_id: str, group_id: str):
    """A subquery: the ids of a location's calendars in a group (for event-list filters)."""
    return select(Calendar.id).where(
        Calendar.location_id == location_id, Calendar.group_id == group_id
    )


def list_calendars(
    db: Database, location_id: str, group_id: str | None, *, show_drafted: bool
) -> list[Calendar]:
    """Oldest first, ties by id; `showDrafted=false` hides inactive (draft) calendars."""
    query = live(Calendar, location_id).order_by(Calendar.date_added_ms, Calendar.id)
    if group_id is not None:
        query = query.where(Calendar.group_id == group_id)
    if not show_drafted:
        query = query.where(Calendar.is_active.is_(True))
    with db.read() as session:
        return list(session.scalars(query))


# ---- the rules of PRODUCT §6, on a calendar's full settings -------------------------------


def team_problems(calendar_type: str, settings: dict) -> list[str]:
    members = settings.get("teamMembers", [])
    problems = []
    if calendar_type in TEAM_REQUIRED and not members:
        problems.append(
            f"teamMembers must contain at least one member for {calendar_type} calendars"
        )
    if calendar_type == "personal" and len(members) != 1:
        problems.append("teamMembers must contain exactly one member for personal calendars")
    primaries = sum(1 for member in members if member.get("isPrimary"))
    if calendar_type == "collective" and members and primaries != 1:
        problems.append(
            "teamMembers must have exactly one isPrimary member for collective calendars"
        )
    if calendar_type != "collective" and primaries > 1:
        problems.append("teamMembers must not have more than one isPrimary member")
    user_ids = [member["userId"] for member in members]
    if len(set(user_ids)) != len(user_ids):
        problems.append("teamMembers must not list the same userId twice")
    if settings.get("enableRecurring") and len(members) != 1:
        problems.append("enableRecurring needs exactly one team member")
    return problems


def location_problems(calendar_type: str, settings: dict) -> list[str]:
    members = settings.get("teamMembers", [])
    places = [("locationConfigurations", settings.get("locationConfigurations", []))]
    places += [
        (f"teamMembers.{i}.locationConfigurations", member.get("locationConfigurations", []))
        for i, member in enumerate(members)
    ]
    problems = []
    for field, configurations in places:
        if len(configurations) > 1 and len(members) != 1:
            problems.append(f"{field} may hold several locations only with exactly one team member")
        if calendar_type == "event":
            problems += [
                f"{field}.{i}.kind {c['kind']} is not available on event calendars"
                for i, c in enumerate(configurations)
                if c["kind"] in CONFERENCE_KINDS
            ]
    return problems


def duration_problems(settings: dict) -> list[str]:
    problems = []
    for field in DURATION_FIELDS:
        value = settings.get(field)
        unit = settings.get(f"{field}Unit", "mins")
        if value is not None and (value * (UNIT_MS[unit] // MINUTE_MS)) % 1 != 0:
            problems.append(f"{field} must be a whole number of minutes")
        if field in BUFFER_FIELDS and value is not None and value * UNIT_MS[unit] > MAX_BUFFER_MS:
            problems.append(f"{field} may be 24 hours at most")
    return problems


def hour_problems(field: str, hours: list[dict]) -> list[str]:
    problems = []
    for i, hour in enumerate(hours):
        opens = hour["openHour"] * 60 + hour["openMinute"]
        closes = hour["closeHour"] * 60 + hour["closeMinute"]
        # A close at 00:00 is the end of the day.
        if closes != 0 and closes <= opens:
            problems.append(f"{field}.{i} must close after it opens")
    return problems


def open_hour_problems(settings: dict) -> list[str]:
    problems = []
    for i, entry in enumerate(settings.get("openHours", [])):
        problems += hour_problems(f"openHours.{i}.hours", entry["hours"])
    return problems


def calendar_problems(calendar_type: str, settings: dict) -> list[str]:
    return (
        team_problems(calendar_type, settings)
        + location_problems(calendar_type, settings)
        + duration_problems(settings)
        + open_hour_problems(settings)
    )


# ---- date availabilities: ids, updates by id, removal by `deleted: true` -------------------


def availability_date(text: str) -> str | None:
    """`YYYY-MM-DD` or `YYYY-MM-DDT00:00:00.000Z` (meaning that local date) → canonical form."""
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    if len(text) > 10 and text[10] not in "T ":
        return None
    return f"{day.isoformat()}T00:00:00.000Z"


def merge_availabilities(current: list[dict], changes: list[dict]) -> tuple[list[dict], list[str]]:
    """Apply create/update items: with `id` they update or (`deleted`) remove that override;
    without `id` they replace the override of their date (or remove it when `deleted`)."""
    by_id = {entry["id"]: entry for entry in current}
    problems = []
    for i, change in enumerate(changes):
        day = availability_date(change["date"])
        if day is None:
            problems.append(f"availabilities.{i}.date must be a date (YYYY-MM-DD)")
            continue
        problems += hour_problems(f"availabilities.{i}.hours", change["hours"])
        target = change.get("id")
        if target is not None and target not in by_id:
            problems.append(f"availabilities.{i}.id is not a date availability of this calendar")
            continue
        if target is None:
            by_id = {key: e for key, e in by_id.items() if e["date"] != day}
        if change.get("deleted"):
            by_id.pop(target, None)
            continue
        entry_id = target or new_id()
        by_id[entry_id] = {"date": day, "hours": change["hours"], "deleted": False, "id": entry_id}
    return sorted(by_id.values(), key=lambda e: (e["date"], e["id"])), problems


# ---- slugs ---------------------------------------------------------------------------------


def slug_taken(
    session: Session, location_id: str, column, *, slug: str, except_id: str | None
) -> bool:
    query = live(Calendar, location_id).where(column == slug)
    if except_id is not None:
        query = query.where(Calendar.id != except_id)
    return session.scalar(query.limit(1)) is not None


def free_slug(session: Session, location_id: str, column, *, base: str) -> str:
    """`base`, or `base-2`, `base-3`, ... whichever no live calendar uses."""
    candidate, n = base, 1
    while slug_taken(session, location_id, column, slug=candidate, except_id=None):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def assign_slugs(
    session: Session, calendar: Calendar, slug: str | None, *, widget_slug: str | None
):
    problems = []
    for field, column, wanted in (
        ("slug", Calendar.slug, slug),
        ("widgetSlug", Calendar.widget_slug, widget_slug),
    ):
        if wanted is None:
            continue
        if slug_taken(session, calendar.location_id, column, slug=wanted, except_id=calendar.id):
            problems.append(f"{field} is already used by another calendar of this location")
        else:
            setattr(calendar, column.key, wanted)
    return problems


# ---- operations ----------------------------------------------------------------------------


def check_group(session: Session, location_id: str, group_id: str | None) -> list[str]:
    if group_id is None:
        return []
    try:
        groups.get_live_group(session, location_id, group_id)
    except NotFound:
        return ["groupId must be a group of this location"]
    return []


def settings_of(dto: CalendarCreateDTO | CalendarUpdateDTO) -> dict:
    values = dto.model_dump(exclude_unset=True, exclude=COLUMN_FIELDS | {"availabilities"})
    return {key: value for key, value in values.items() if value is not None}


def create_calendar(db: Database, dto: CalendarCreateDTO) -> Calendar:
    for attempt in range(SLUG_ATTEMPTS):
        try:
            return _create_calendar(db, dto)
        except IntegrityError:
            # A concurrent create took a generated slug: generate again. Chosen slugs fail at once.
            if dto.slug is not None or attempt == SLUG_ATTEMPTS - 1:
                raise BadRequest(
                    ["slug is already used by another calendar of this location"]
                ) from None
    raise AssertionError("unreachable")


def _create_calendar(db: Database, dto: CalendarCreateDTO) -> Calendar:
    settings = settings_of(dto)
    availabilities, problems = merge_availabilities(
        [], [a.model_dump() for a in dto.availabilities or []]
    )
    if availabilities:
        settings["availabilities"] = availabilities
    problems += calendar_problems(dto.calendarType, settings)
    with db.write() as session:
        problems += check_group(session, dto.locationId, dto.groupId)
        now = clock.now_ms(session)
        calendar = Calendar(
            id=new_id(),
            location_id=dto.locationId,
            group_id=dto.groupId,
            name=dto.name,
            calendar_type=dto.calendarType,
            is_active=True if dto.isActive is None else dto.isActive,
            deleted=False,
            settings=settings,
            buffer_reach_ms=buffer_reach_ms(settings),
            date_added_ms=now,
            date_updated_ms=now,
        )
        problems += assign_slugs(session, calendar, dto.slug, widget_slug=dto.widgetSlug)
        if problems:
            raise BadRequest(problems)
        base = slugify(dto.name, "calendar")
        calendar.slug = calendar.slug or free_slug(
            session, dto.locationId, Calendar.slug, base=base
        )
        calendar.widget_slug = calendar.widget_slug or free_slug(
            session, dto.locationId, Calendar.widget_slug, base=base
        )
        session.add(calendar)
    return calendar


def update_calendar(
    db: Database, location_id: str, calendar_id: str, *, dto: CalendarUpdateDTO
) -> Calendar:
    """Partial: fields present replace, `null` returns a field to its default."""
    changes = dto.model_dump(exclude_unset=True)
    try:
        with db.write() as session:
            calendar = get_live_calendar(session, location_id, calendar_id, to_change=True)
            if dto.calendarType not in (None, calendar.calendar_type):
                # A type decides how every booking was assigned: a calendar keeps its type.
                raise BadRequest([f"calendarType cannot be changed from {calendar.calendar_type}"])
            settings = dict(calendar.settings)
            for key, value in settings_of(dto).items():
                settings[key] = value
            for key in changes.keys() - COLUMN_FIELDS - {"availabilities"}:
                if changes[key] is None:
                    settings.pop(key, None)
            problems = []
            if "availabilities" in changes:
                merged, problems = merge_availabilities(
                    settings.get("availabilities", []), changes["availabilities"] or []
                )
                settings["availabilities"] = merged
            problems += calendar_problems(calendar.calendar_type, settings)
            if "groupId" in changes:
                problems += check_group(session, location_id, dto.groupId)
                calendar.group_id = dto.groupId
            problems += assign_slugs(session, calendar, dto.slug, widget_slug=dto.widgetSlug)
            if problems:
                raise BadRequest(problems)
            if dto.name is not None:
                calendar.name = dto.name
            if dto.isActive is not None:
                calendar.is_active = dto.isActive
            calendar.settings = settings
            calendar.buffer_reach_ms = buffer_reach_ms(settings)
            calendar.date_updated_ms = clock.now_ms(session)
    except IntegrityError:
        raise BadRequest(["slug is already used by another calendar of this location"]) from None
    return calendar


def delete_calendar(db: Database, location_id: str, calendar_id: str) -> None:
    """Soft delete: never shown or found again; schedules let go of it."""
    with db.write() as session:
        calendar = get_live_calendar(session, location_id, calendar_id, to_change=True)
        calendar.deleted = True
        calendar.date_updated_ms = clock.now_ms(session)
        session.execute(delete(ScheduleCalendar).where(ScheduleCalendar.calendar_id == calendar_id))
