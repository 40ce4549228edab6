"""Free slots (PRODUCT §4.5), the endpoint: one calendar's people and rules from `busy/` in one
plan of reads, the engine, the answer by local date. The bound on a request's work lives here."""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from starlette.concurrency import run_in_threadpool

from opencalendars import clock
from opencalendars.availability.answer import free_slots_answer, look_busy, slots_by_date
from opencalendars.availability.engine import FreeSlots, Person, SlotRules, free_slots, grid_points
from opencalendars.busy.people import persons_for, resources_for
from opencalendars.busy.resources import resources_of_calendar
from opencalendars.busy.rules import busy_range, slot_rules
from opencalendars.calendars.rules import CalendarRules
from opencalendars.calendars.service import live_calendar
from opencalendars.context import LocationContext
from opencalendars.db.batch import Plan, single, together
from opencalendars.db.database import Database
from opencalendars.db.read_cache import ReadCache, VersionRows
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
    """What the engine needs, read in one plan (one round, usually)."""

    calendar: CalendarRules
    persons: list[Person]
    rules: SlotRules
    resources: list
    grid_points: int


def calendar_and_clock(context: LocationContext, calendar_id: str) -> Plan[tuple]:
    """The live calendar and the server clock, in one round: what every free-slots answer
    starts from."""
    return together(live_calendar(context.location_id, calendar_id), single(clock.now()))


@dataclass(frozen=True)
class SlotsAsked:
    """A free-slots query seen from its calendar at one instant: the members it selects, the
    engine's rules at that instant, and the key its offered starts are kept under."""

    calendar: CalendarRules
    members: list[str]
    rules: SlotRules
    key: tuple


def slots_asked(
    context: LocationContext, calendar: CalendarRules, *, now_ms: int, query: FreeSlotsQuery
) -> SlotsAsked | None:
    """None when the calendar is inactive (it offers nothing); 400 for a userId not on it."""
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
    # Everything the offered starts depend on besides the rules and the database: the answer's
    # zone and look busy are applied to the starts afterwards.
    place = (context.location_id, context.zone, calendar.id)
    key = ("free-slots", *place, query.start_ms, query.end_ms, tuple(members))
    return SlotsAsked(calendar, members, rules, key)


def free_slot_inputs(
    context: LocationContext, asked: SlotsAsked, *, query: FreeSlotsQuery
) -> Plan[FreeSlotInputs]:
    """The calendar's people and resources for the query: a plan of reads (db/batch.py), the
    busy reads of everything the calendar names at once, then (only when needed) other
    calendars' buffers and the appointments of the calendars that share its resources."""
    calendar, rules = asked.calendar, asked.rules
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
            members=asked.members,
            start_ms=query.start_ms,
            end_ms=query.end_ms,
            busy_span=busy_span,
        ),
        resources_of_calendar(calendar),
    )
    grid_points = check_grid(persons, rules, query.start_ms)
    resources = yield from resources_for(mapped, context=context, busy_span=busy_span)
    return FreeSlotInputs(calendar, persons, rules, resources, grid_points)


def offered(inputs: FreeSlotInputs, known: dict[str, list[int]]) -> FreeSlots:
    """The engine's offered starts, ascending, and each person's; those in `known`
    (`known_starts`) taken as they are."""
    return free_slots(
        inputs.persons,
        inputs.rules,
        require_all=inputs.calendar.calendar_type == "collective",
        resources=inputs.resources,
        known=known,
    )


def engine_inputs(inputs: FreeSlotInputs) -> tuple:
    """Everything the engine's offered starts are made of besides its rules (`offered`)."""
    return (
        tuple(inputs.persons),
        tuple(inputs.resources),
        inputs.calendar.calendar_type == "collective",
    )


@dataclass(frozen=True)
class KeptStarts:
    """Offered starts, and each person's, kept with the rules and the engine's inputs they were
    computed from."""

    rules: SlotRules
    starts: list[int]
    made_of: tuple  # engine_inputs
    by_person: dict[str, list[int]]

    @property
    def heft(self) -> int:
        persons, resources, _ = self.made_of
        spans = sum(len(p.windows) + len(p.blocking) + len(p.same) + len(p.shared) for p in persons)
        person_starts = sum(map(len, self.by_person.values()))
        return len(self.starts) + person_starts + spans + sum(len(r.busy) for r in resources)


def answers_under(kept: KeptStarts | None, rules: SlotRules) -> bool:
    """Whether starts kept under `kept.rules` tell those the engine would offer under `rules`:
    when those are the kept rules but for minimum notice, which only moves later as time
    passes. Every candidate is judged on its own (engine.person_starts), on the same grid
    whatever the earliest start, so the starts offered from a later earliest start are the
    kept ones from it on (`from_earliest`). Not when the booking window moved or the clock went
    back: the engine runs."""
    if kept is None or rules.earliest_ms < kept.rules.earliest_ms:
        return False
    return replace(rules, earliest_ms=kept.rules.earliest_ms) == kept.rules


def from_earliest(starts: list[int], rules: SlotRules) -> list[int]:
    return starts[bisect_left(starts, rules.earliest_ms) :]


def starts_under(kept: KeptStarts | None, rules: SlotRules) -> list[int] | None:
    """The kept starts as the engine would offer them under `rules` (`answers_under`); None
    when they cannot answer."""
    return from_earliest(kept.starts, rules) if answers_under(kept, rules) else None


def kept_starts(seen: VersionRows | None, asked: SlotsAsked) -> list[int] | None:
    """The starts offered for the same query at these versions of the database, when they can
    answer now (`starts_under`): nothing but the calendar and the clock is read."""
    return starts_under(None if seen is None else seen.value(asked.key), asked.rules)


def remembered_starts(cache: ReadCache | None, asked: SlotsAsked) -> KeptStarts | None:
    """The starts last offered for the same query, at any version of the database."""
    return None if cache is None else cache.remembered(asked.key)


def starts_made_before(
    kept: KeptStarts | None, asked: SlotsAsked, made_of: tuple
) -> FreeSlots | None:
    """The remembered starts (`remembered_starts`) when the engine's inputs read now are equal
    to those they were made of and the rules allow (`answers_under`): a commit elsewhere
    (another calendar, another location) changed nothing the engine would see, so it need not
    run again. The engine is a pure function: equal inputs, equal starts."""
    if kept is None or kept.made_of != made_of or not answers_under(kept, asked.rules):
        return None
    return FreeSlots(
        by_person={
            key: from_earliest(starts, asked.rules) for key, starts in kept.by_person.items()
        },
        starts=from_earliest(kept.starts, asked.rules),
    )


def known_starts(
    kept: KeptStarts | None, asked: SlotsAsked, made_of: tuple
) -> dict[str, list[int]]:
    """The remembered starts of each person whose inputs are those they were found from, with
    the same resources and rules (`answers_under`): a person's starts depend on nothing else
    (engine.free_slots). After a booking, a block or a sync of one member's calendar, the
    engine finds only that member's again."""
    if kept is None or not answers_under(kept, asked.rules):
        return {}
    persons, resources, _ = made_of
    kept_persons, kept_resources, _ = kept.made_of
    if resources != kept_resources:
        return {}
    before = {person.key: person for person in kept_persons}
    return {
        person.key: from_earliest(kept.by_person[person.key], asked.rules)
        for person in persons
        if before.get(person.key) == person and person.key in kept.by_person
    }


def keep_starts(
    cache: ReadCache | None,
    seen: VersionRows | None,
    asked: SlotsAsked,
    *,
    found: FreeSlots,
    made_of: tuple,
) -> None:
    """The starts kept for these versions (`kept_starts`) and remembered for later ones
    (`starts_made_before`, `known_starts`). One object in both, weighed in full in each: kept
    by version, it holds the inputs alive even once the remembered entry is dropped, so a
    query offering few starts from many busy spans must not pass for light there."""
    kept = KeptStarts(asked.rules, found.starts, made_of, found.by_person)
    if seen is not None:
        seen.keep_value(asked.key, kept, heft=kept.heft)
    if cache is not None:
        cache.remember(asked.key, kept, heft=kept.heft)


def engine_starts(
    cache: ReadCache | None, asked: SlotsAsked, inputs: FreeSlotInputs
) -> tuple[FreeSlots | None, dict[str, list[int]], tuple]:
    """What the remembered starts tell of the inputs read now: the whole answer
    (`starts_made_before`) or else the persons whose starts are known (`known_starts`); and the
    inputs (`engine_inputs`)."""
    made_of = engine_inputs(inputs)
    kept = remembered_starts(cache, asked)
    found = starts_made_before(kept, asked, made_of)
    return found, ({} if found else known_starts(kept, asked, made_of)), made_of


def slots_answer(calendar: CalendarRules, starts: list[int], query: FreeSlotsQuery) -> dict:
    """The answer by local date of the query's zone (with look busy applied)."""
    by_date = slots_by_date(starts, query.timezone)
    look = calendar.look_busy
    if query.enable_look_busy and look.get("enabled"):
        by_date = look_busy(by_date, calendar.id, look.get("LookBusyPercentage", 0))
    return free_slots_answer(by_date)


def get_free_slots(
    db: Database, context: LocationContext, *, calendar_id: str, query: FreeSlotsQuery
) -> dict:
    """`answer_free_slots` for a worker thread (the booking widget)."""
    (calendar, now_ms), seen = db.read_plan_seen(
        calendar_and_clock(context, calendar_id), location_id=context.location_id
    )
    asked = slots_asked(context, calendar, now_ms=now_ms, query=query)
    if asked is None:
        return {}
    starts = kept_starts(seen, asked)
    if starts is None:
        inputs = db.read_plan_at(free_slot_inputs(context, asked, query=query), seen)
        found, known, made_of = engine_starts(db.read_cache, asked, inputs)
        if found is None:
            found = offered(inputs, known)
        keep_starts(db.read_cache, seen, asked, found=found, made_of=made_of)
        starts = found.starts
    return slots_answer(calendar, starts, query)


async def answer_free_slots(
    db: Database, context: LocationContext, *, calendar_id: str, query: FreeSlotsQuery
) -> dict:
    """`get_free_slots` for the async endpoint, without the hop to a worker thread and back:
    that hop cost 1 to 4 ms of a 5 ms request (bench/RESULTS.md). The reads run as
    `Database.run_plan` runs them (in the event loop, pipelined on PostgreSQL); the engine runs
    in the event loop up to IN_LOOP_GRID_POINTS, and in a worker thread above, so that a large
    grid (or the answer's formatting, as many starts) never holds up the process's other
    requests for long. Asked again while the database is unchanged, the starts offered last
    time answer (`kept_starts`): only the calendar and the clock are read, and the engine does
    not run. After a commit everything is read, and the engine runs only when its inputs
    differ from those of the starts remembered for the same query (`starts_made_before`)."""
    (calendar, now_ms), seen = await db.run_plan_seen(
        calendar_and_clock(context, calendar_id), location_id=context.location_id
    )
    asked = slots_asked(context, calendar, now_ms=now_ms, query=query)
    if asked is None:
        return {}
    starts = kept_starts(seen, asked)
    if starts is None:
        inputs = await db.run_plan_at(free_slot_inputs(context, asked, query=query), seen)
        found, known, made_of = engine_starts(db.read_cache, asked, inputs)
        if found is None and inputs.grid_points <= IN_LOOP_GRID_POINTS:
            found = offered(inputs, known)
        elif found is None:
            found = await run_in_threadpool(offered, inputs, known)
        keep_starts(db.read_cache, seen, asked, found=found, made_of=made_of)
        starts = found.starts
    if len(starts) > IN_LOOP_GRID_POINTS:  # formatting them is as long
        return await run_in_threadpool(slots_answer, calendar, starts, query)
    return slots_answer(calendar, starts, query)
