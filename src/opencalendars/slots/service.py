"""Free slots (PRODUCT §4.5): load what the engine needs for one calendar, run it, shape the
answer. All reads happen in one transaction, as plain tuples over indexed ranges."""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.appointments import store as appointments
from opencalendars.availability.answer import free_slots_answer, look_busy, slots_by_date
from opencalendars.availability.engine import (
    Person,
    Resource,
    SlotRules,
    free_slots,
    grid_points,
)
from opencalendars.availability.limits import earliest_start_ms, window_end_ms
from opencalendars.availability.resolver import Window, open_windows
from opencalendars.blocked_slots.service import blocking_spans
from opencalendars.calendars.models import Calendar
from opencalendars.calendars.schemas import CALENDAR_DEFAULTS
from opencalendars.calendars.service import read_live_calendar
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead
from opencalendars.errors import BadRequest
from opencalendars.resources.models import CalendarResource
from opencalendars.resources.service import resources_of_calendar
from opencalendars.schedules.service import load_calendar_availability
from opencalendars.services.store import occupying_segments

UNIT_MS = {"mins": 60_000, "hours": 3_600_000}
DAY_MS = 86_400_000
# Busy items are read this far around the range: whole local days for appoinmentPerDay,
# and the buffers of neighbouring appointments.
BUSY_MARGIN_MS = 2 * DAY_MS
# The most candidate starts one free-slots request may visit: the engine takes one step per
# grid point of each selected person's open windows in the range (engine.grid_points), 0.5-1 µs
# each, so the largest accepted request stays well under a second. Real calendars stay below:
# 10 members with 15-minute slots around the clock for 31 days are 29,760 points, one member
# with 1-minute slots 44,640, 100 members with 15-minute slots around the clock 297,600
# (docs/availability.md, "The bound per request").
MAX_GRID_POINTS = 400_000


@dataclass(frozen=True)
class FreeSlotsQuery:
    start_ms: int  # inclusive
    end_ms: int  # exclusive
    timezone: str
    user_ids: list[str]
    enable_look_busy: bool


def setting(calendar: Calendar, name: str):
    return calendar.settings.get(name, CALENDAR_DEFAULTS.get(name))


def duration_ms(calendar: Calendar, name: str, default_unit: str = "mins") -> int:
    value = calendar.settings.get(name)
    if value is None:
        return 0
    return int(value * UNIT_MS[calendar.settings.get(f"{name}Unit", default_unit)])


def buffers_ms(calendar: Calendar) -> tuple[int, int]:
    return duration_ms(calendar, "preBuffer"), duration_ms(calendar, "slotBuffer")


def slot_rules(
    calendar: Calendar,
    now_ms: int,
    location_zone: str,
    start_ms: int,
    end_ms: int,
    ignore_date_range: bool = False,
) -> SlotRules:
    """The calendar's settings as engine rules, limited to starts in [start_ms, end_ms).
    `ignore_date_range` drops minimum notice and the booking window (not "never before now")."""
    duration = duration_ms(calendar, "slotDuration") or 30 * UNIT_MS["mins"]
    if "slotInterval" in calendar.settings:
        interval = duration_ms(calendar, "slotInterval")
    else:
        interval = duration
    pre, post = buffers_ms(calendar)
    earliest = earliest_start_ms(
        now_ms,
        setting(calendar, "allowBookingAfter"),
        setting(calendar, "allowBookingAfterUnit"),
        location_zone,
    )
    latest = window_end_ms(
        now_ms,
        setting(calendar, "allowBookingFor"),
        setting(calendar, "allowBookingForUnit"),
        location_zone,
    )
    return SlotRules(
        duration_ms=duration,
        interval_ms=interval,
        pre_buffer_ms=pre,
        post_buffer_ms=post,
        per_slot=setting(calendar, "appoinmentPerSlot"),
        per_day=setting(calendar, "appoinmentPerDay"),
        earliest_ms=max(now_ms if ignore_date_range else earliest, start_ms),
        latest_ms=end_ms if latest is None or ignore_date_range else min(latest, end_ms),
        is_class=calendar.calendar_type == "class_booking",
        day_zone=location_zone,
    )


_calendars = Calendar.__table__.c
_CALENDAR_SETTINGS = PreparedRead(
    select(_calendars.id, _calendars.settings).where(
        _calendars.id.in_(bindparam("calendar_ids", expanding=True))
    )
)


def other_calendar_buffers(session: Session, calendar_ids: set[str]) -> dict[str, tuple[int, int]]:
    if not calendar_ids:
        return {}
    rows = _CALENDAR_SETTINGS.all(session, {"calendar_ids": sorted(calendar_ids)})
    return {calendar.id: buffers_ms(calendar) for calendar in rows}


@dataclass(frozen=True)
class PeopleBusy:
    """The one busy-time picture (PRODUCT §4.3, §7) of some people around a range."""

    # Raw spans of occupying appointments in the calendar being booked, per person.
    same: dict[str, list[tuple[int, int]]]
    # Everything else that blocks each person, already widened by its own buffers:
    # appointments of other calendars, service bookings, their blocked slots.
    blocking: dict[str, list[tuple[int, int]]]
    # Blocked slots of the calendar being booked.
    calendar_blocks: list[tuple[int, int]]


def people_busy(
    session: Session,
    location_id: str,
    location_zone: str,
    user_ids: list[str],
    busy_from: int,
    busy_to: int,
    calendar_id: str | None = None,
    exclude_appointment_id: str = "",
    exclude_booking_id: str = "",
) -> PeopleBusy:
    """What keeps these people busy between busy_from and busy_to, seen from `calendar_id` (None:
    from no calendar, as Services V2 staff), leaving out one appointment or service booking
    when it is being changed. Free slots, bookings and service bookings all read it."""
    held = appointments.occupying_for_users(
        session, location_id, user_ids, busy_from, busy_to, exclude_appointment_id
    )
    # Occurrences of recurring series (rare), in the same shape.
    for user_id, busy_calendar_id, start, end in appointments.occupying_series(
        session,
        location_id,
        location_zone,
        busy_from,
        busy_to,
        user_ids=user_ids,
        exclude_id=exclude_appointment_id,
    ):
        held.append(appointments.HeldSpans(user_id, busy_calendar_id, [(start, end)]))
    others = other_calendar_buffers(session, {item.calendar_id for item in held} - {calendar_id})
    same: dict[str, list[tuple[int, int]]] = defaultdict(list)
    blocking: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for user_id, busy_calendar_id, spans in held:
        if busy_calendar_id == calendar_id:
            same[user_id] += spans
        else:
            their_pre, their_post = others.get(busy_calendar_id, (0, 0))
            blocking[user_id] += [(start - their_pre, end + their_post) for start, end in spans]
    # Service bookings take their staff's time in every calendar (PRODUCT §7).
    for user_id, start, end in occupying_segments(
        session, location_id, user_ids, busy_from, busy_to, exclude_booking_id
    ):
        blocking[user_id].append((start, end))
    calendar_blocks, user_blocks = blocking_spans(
        session, location_id, calendar_id, user_ids, busy_from, busy_to
    )
    for user_id, spans in user_blocks.items():
        blocking[user_id] += spans
    return PeopleBusy(same, blocking, calendar_blocks)


def persons_for(
    session: Session,
    calendar: Calendar,
    location_zone: str,
    members: list[str],
    start_ms: int,
    end_ms: int,
    exclude_appointment_id: str = "",
) -> list[Person]:
    """The people whose time decides this calendar's slots between start_ms and end_ms, with
    their windows and busy spans (leaving out one appointment, when it is being moved)."""
    availability = load_calendar_availability(session, calendar, location_zone)
    busy_from, busy_to = start_ms - BUSY_MARGIN_MS, end_ms + BUSY_MARGIN_MS
    calendar_id = calendar.id  # read once: ORM attribute access is slow
    busy = people_busy(
        session,
        calendar.location_id,
        location_zone,
        members,
        busy_from,
        busy_to,
        calendar_id,
        exclude_appointment_id,
    )

    if calendar.calendar_type == "event":
        # The calendar itself is the person; its members' busy times count too.
        own = appointments.occupying_in_calendar(
            session, calendar.location_id, calendar.id, busy_from, busy_to, exclude_appointment_id
        ) + [
            (item.start_ms, item.end_ms)
            for item in appointments.occupying_series(
                session,
                calendar.location_id,
                location_zone,
                busy_from,
                busy_to,
                calendar_id=calendar.id,
                exclude_id=exclude_appointment_id,
            )
            if item.calendar_id == calendar_id
        ]
        member_busy = [span for user in members for span in busy.blocking[user]]
        windows = open_windows(availability.calendar, start_ms, end_ms)
        return [
            Person(
                key=calendar.id,
                windows=windows,
                blocking=[*busy.calendar_blocks, *member_busy],
                same=[(start, end) for start, end in own],
            )
        ]
    # Members with the same hours share one Availability object: resolve its windows once.
    windows_of: dict[int, list[Window]] = {}
    persons = []
    for user in members:
        hours = availability.for_member(user)
        if id(hours) not in windows_of:
            windows_of[id(hours)] = open_windows(hours, start_ms, end_ms)
        persons.append(
            Person(
                key=user,
                windows=windows_of[id(hours)],
                blocking=[*busy.calendar_blocks, *busy.blocking[user]],
                same=busy.same[user],
            )
        )
    return persons


def resources_for(
    session: Session,
    calendar: Calendar,
    mapped: list[CalendarResource],
    location_zone: str,
    start_ms: int,
    end_ms: int,
    exclude_appointment_id: str = "",
) -> list[Resource]:
    """The rooms and equipment mapped to the calendar (`resources_of_calendar`), each with the
    occupying appointments of every calendar it is mapped to (PRODUCT §4.4)."""
    busy_from, busy_to = start_ms - BUSY_MARGIN_MS, end_ms + BUSY_MARGIN_MS
    found = []
    for resource in mapped:
        busy = []
        for calendar_id in resource.calendar_ids:
            busy += appointments.occupying_in_calendar(
                session,
                calendar.location_id,
                calendar_id,
                busy_from,
                busy_to,
                exclude_appointment_id,
            )
            busy += [
                (item.start_ms, item.end_ms)
                for item in appointments.occupying_series(
                    session,
                    calendar.location_id,
                    location_zone,
                    busy_from,
                    busy_to,
                    calendar_id=calendar_id,
                    exclude_id=exclude_appointment_id,
                )
                if item.calendar_id == calendar_id
            ]
        found.append(Resource(units=resource.units, busy=busy))
    return found


def selected_members(calendar: Calendar, user_ids: list[str]) -> list[str]:
    members = [member["userId"] for member in calendar.settings.get("teamMembers", [])]
    strangers = [user for user in user_ids if user not in members]
    if strangers:
        raise BadRequest(
            [f"userId {user} is not a team member of this calendar" for user in strangers]
        )
    return user_ids or members


def request_grid_points(persons: Sequence[Person], rules: SlotRules) -> int:
    """The engine's work for these persons: the sum of their grid points (members with the same
    hours share one list of windows: its points are found once)."""
    points_of: dict[int, int] = {}
    total = 0
    for person in persons:
        key = id(person.windows)
        if key not in points_of:
            points_of[key] = grid_points(person.windows, rules)
        total += points_of[key]
    return total


def check_grid(persons: Sequence[Person], rules: SlotRules, start_ms: int) -> None:
    """400 when the request would visit more than MAX_GRID_POINTS candidates, naming the most
    days from the same startDate that would not (the points only grow with the range)."""
    if request_grid_points(persons, rules) <= MAX_GRID_POINTS:
        return

    def points_within(days: int) -> int:
        shorter = replace(rules, latest_ms=min(rules.latest_ms, start_ms + days * DAY_MS))
        return request_grid_points(persons, shorter)

    asked_days = -(-(rules.latest_ms - start_ms) // DAY_MS)
    days = bisect_right(range(asked_days + 1), MAX_GRID_POINTS, key=points_within) - 1
    if days == 0:
        raise BadRequest(
            ["This calendar's team is too large for its slot interval: ask for fewer userIds"]
        )
    raise BadRequest(
        [
            "The date range is too long for this calendar's slot interval and team: "
            f"ask for at most {days} day{'s' if days > 1 else ''}"
        ]
    )


def get_free_slots(db: Database, location_id: str, location_zone: str, calendar_id: str, query):
    with db.read() as session:
        calendar = read_live_calendar(session, location_id, calendar_id)
        members = selected_members(calendar, query.user_ids)
        if not calendar.is_active:
            return {}
        now_ms = clock.now_ms(session)
        rules = slot_rules(calendar, now_ms, location_zone, query.start_ms, query.end_ms)
        persons = persons_for(
            session, calendar, location_zone, members, query.start_ms, query.end_ms
        )
        check_grid(persons, rules, query.start_ms)
        resources = resources_for(
            session,
            calendar,
            resources_of_calendar(session, calendar),
            location_zone,
            query.start_ms,
            query.end_ms,
        )
    result = free_slots(
        persons, rules, require_all=calendar.calendar_type == "collective", resources=resources
    )
    by_date = slots_by_date(result.starts, query.timezone)
    look = setting(calendar, "lookBusyConfig")
    if query.enable_look_busy and look.get("enabled"):
        by_date = look_busy(by_date, calendar.id, look.get("LookBusyPercentage", 0))
    return free_slots_answer(by_date)
