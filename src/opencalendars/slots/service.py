"""Free slots (PRODUCT §4.5), the endpoint: one calendar's people and rules from `busy/` in one
plan of reads, the engine, the answer by local date. The bound on a request's work lives here."""

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from starlette.concurrency import run_in_threadpool

from opencalendars import clock
from opencalendars.availability.answer import free_slots_answer, look_busy, slots_by_date
from opencalendars.availability.engine import Person, SlotRules, free_slots, grid_points
from opencalendars.busy.people import persons_for, resources_for
from opencalendars.busy.resources import resources_of_calendar
from opencalendars.busy.rules import busy_range, slot_rules
from opencalendars.calendars.rules import CalendarRules
from opencalendars.calendars.service import live_calendar
from opencalendars.context import LocationContext
from opencalendars.db.batch import Plan, single, together
from opencalendars.db.database import Database
from opencalendars.errors import BadRequest
from opencalendars.units import DAY_MS

# The most candidate starts one free-slots request may visit: the engine takes one step per
# grid point of each selected person's open windows in the range (engine.grid_points), 0.5-1 µs
# each, so the largest accepted request stays well under a second. Real calendars stay below:
# 10 members with 15-minute slots around the clock for 31 days are 29,760 points, one member
# with 1-minute slots 44,640, 100 members with 15-minute slots around the clock 297,600
# (docs/availability.md, "The bound per request").
MAX_GRID_POINTS = 400_000
# Up to this many grid points (about 5-10 ms of engine), the engine runs in the event loop
# itself (`answer_free_slots`); a 10-member team's month of 30-minute slots is about 3,500.
IN_LOOP_GRID_POINTS = 10_000


@dataclass(frozen=True)
class FreeSlotsQuery:
    start_ms: int  # inclusive
    end_ms: int  # exclusive
    timezone: str
    user_ids: list[str]
    enable_look_busy: bool


def selected_members(calendar: CalendarRules, user_ids: list[str]) -> list[str]:
    members = calendar.members
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


def check_grid(persons: Sequence[Person], rules: SlotRules, start_ms: int) -> int:
    """The request's grid points; 400 when it would visit more than MAX_GRID_POINTS candidates,
    naming the most days from the same startDate that would not (the points only grow with the
    range)."""
    points = request_grid_points(persons, rules)
    if points <= MAX_GRID_POINTS:
        return points

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


@dataclass(frozen=True)
class FreeSlotInputs:
    """What the engine needs, read in one plan (two rounds, usually)."""

    calendar: CalendarRules
    persons: list[Person]
    rules: SlotRules
    resources: list
    grid_points: int


def free_slot_inputs(
    context: LocationContext, *, calendar_id: str, query: FreeSlotsQuery
) -> Plan[FreeSlotInputs | None]:
    """The calendar's people and rules for the query; None when the calendar is inactive (it
    offers nothing). A plan of reads (db/batch.py): the calendar and the clock, then everything
    the calendar names at once, then (only when needed) other calendars' buffers and the
    appointments of the calendars that share its resources."""
    calendar, now_ms = yield from together(
        live_calendar(context.location_id, calendar_id), single(clock.now())
    )
    members = selected_members(calendar, query.user_ids)
    if not calendar.is_active:
        return None
    rules = slot_rules(
        calendar,
        now_ms=now_ms,
        location_zone=context.zone,
        start_ms=query.start_ms,
        end_ms=query.end_ms,
    )
    busy_span = busy_range(
        calendar,
        zone=context.zone,
        first_start_ms=query.start_ms,
        last_start_ms=query.end_ms - 1,
        last_end_ms=query.end_ms + calendar.slot_duration_ms,
    )
    persons, mapped = yield from together(
        persons_for(
            calendar,
            context=context,
            members=members,
            start_ms=query.start_ms,
            end_ms=query.end_ms,
            busy_span=busy_span,
        ),
        resources_of_calendar(calendar),
    )
    grid_points = check_grid(persons, rules, query.start_ms)
    resources = yield from resources_for(mapped, context=context, busy_span=busy_span)
    return FreeSlotInputs(calendar, persons, rules, resources, grid_points)


def free_slots_for(inputs: FreeSlotInputs | None, query: FreeSlotsQuery) -> dict:
    """The engine's answer, by local date of the query's zone (with look busy applied)."""
    if inputs is None:
        return {}
    calendar = inputs.calendar
    result = free_slots(
        inputs.persons,
        inputs.rules,
        require_all=calendar.calendar_type == "collective",
        resources=inputs.resources,
    )
    by_date = slots_by_date(result.starts, query.timezone)
    look = calendar.look_busy
    if query.enable_look_busy and look.get("enabled"):
        by_date = look_busy(by_date, calendar.id, look.get("LookBusyPercentage", 0))
    return free_slots_answer(by_date)


def get_free_slots(
    db: Database, context: LocationContext, *, calendar_id: str, query: FreeSlotsQuery
) -> dict:
    """`answer_free_slots` for a worker thread (the booking widget)."""
    inputs = db.read_plan(free_slot_inputs(context, calendar_id=calendar_id, query=query))
    return free_slots_for(inputs, query)


async def answer_free_slots(
    db: Database, context: LocationContext, *, calendar_id: str, query: FreeSlotsQuery
) -> dict:
    """`get_free_slots` for the async endpoint, without the hop to a worker thread and back:
    that hop cost 1 to 4 ms of a 5 ms request (bench/RESULTS.md). The reads run as
    `Database.run_plan` runs them (in the event loop, pipelined on PostgreSQL); the engine runs
    in the event loop up to IN_LOOP_GRID_POINTS, and in a worker thread above, so that a large
    grid never holds up the process's other requests for long."""
    inputs = await db.run_plan(free_slot_inputs(context, calendar_id=calendar_id, query=query))
    if inputs is None or inputs.grid_points <= IN_LOOP_GRID_POINTS:
        return free_slots_for(inputs, query)
    return await run_in_threadpool(free_slots_for, inputs, query)
