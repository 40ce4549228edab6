"""The free-slot engine (PRODUCT §4.3, §4.4): from open windows and busy spans to start times.

Everything is interval arithmetic over sorted spans. Candidate starts come out of each
person's windows in ascending order, and every check walks a sorted list with a pointer
that only moves forward, so the cost grows with windows + busy items + candidates, never
with their product.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from opencalendars.availability.resolver import (
    Window,
    local_date,
    local_instant_ms,
    merge_windows,
)

Span = tuple[int, int]  # [start, end) in epoch milliseconds
NEVER = 2**63
PAST_EVERYTHING: Span = (NEVER, NEVER)


@dataclass(frozen=True)
class SlotRules:
    """One calendar's slot settings, already in milliseconds and instants."""

    duration_ms: int
    interval_ms: int
    pre_buffer_ms: int = 0
    post_buffer_ms: int = 0
    per_slot: int = 1  # appoinmentPerSlot: appointments one person holds at once, or class seats
    per_day: int = 0  # appoinmentPerDay: 0 = no limit
    earliest_ms: int = 0  # now + minimum notice
    latest_ms: int | None = None  # booking-window end (exclusive); None = no limit
    is_class: bool = False
    day_zone: str = "UTC"  # the location's zone: appoinmentPerDay counts its local dates


@dataclass(frozen=True)
class Person:
    """Someone who can be booked: a team member, or an event calendar itself.

    `blocking` spans make a candidate busy on any overlap: blocked slots, and occupying
    appointments and service bookings of other calendars, each already widened by its own
    calendar's buffers. `same` holds the raw [start, end) of this calendar's occupying
    appointments of this person; the engine widens them with this calendar's buffers.
    `shared` spans block like `blocking` ones but are the same for several persons (a
    calendar's own blocked slots, for each of its members): given as one object to each of
    them, they are resolved once per list of windows instead of once per person.
    """

    key: str
    windows: Sequence[Window]
    blocking: Sequence[Span] = ()
    same: Sequence[Span] = ()
    shared: Sequence[Span] = ()


@dataclass(frozen=True)
class Resource:
    """A room or equipment mapped to the calendar: `units` at once across all its calendars."""

    units: int
    busy: Sequence[Span] = ()


def full_spans(resource: Resource) -> list[Span]:
    """Where a resource has no free unit: its busy depth reaches its units."""
    if resource.units <= 0:
        return [(-(2**62), 2**62)]
    events = sorted([(s, 1) for s, _ in resource.busy] + [(e, -1) for _, e in resource.busy])
    full, depth, since = [], 0, None
    for instant, step in events:
        depth += step
        if depth >= resource.units and since is None:
            since = instant
        elif depth < resource.units and since is not None:
            if instant > since:
                full.append((since, instant))
            since = None
    return merge_windows(full)


def local_day_span(day: date, zone_name: str) -> Span:
    """A local date as instants: [its midnight, the next midnight)."""
    end = NEVER if day == date.max else local_instant_ms(day + timedelta(days=1), 0, zone_name)
    return local_instant_ms(day, 0, zone_name), end


def full_days(person: Person, rules: SlotRules) -> list[Span]:
    """The local dates (location zone) on which the person already holds `appoinmentPerDay`
    of this calendar's appointments: a candidate that starts in one is busy. Found once per
    person, so that each candidate costs a pointer step rather than a time zone conversion."""
    if not rules.per_day:
        return []
    held = Counter(local_date(start, rules.day_zone) for start, _ in person.same)
    return sorted(
        local_day_span(day, rules.day_zone) for day, count in held.items() if count >= rules.per_day
    )


def window_grid(window: Window, rules: SlotRules) -> tuple[int, int]:
    """The first and last candidate start of a window (none when first > last): the window's
    own grid, from its first point at or after `earliest`, while the slot fits in the window
    and starts before `latest`."""
    start, window_end = window
    if start < rules.earliest_ms:
        # Jump to the first grid point at or after `earliest`, keeping the window's grid.
        start += -(-(rules.earliest_ms - start) // rules.interval_ms) * rules.interval_ms
    latest = rules.latest_ms if rules.latest_ms is not None else 2**62
    return start, min(window_end - rules.duration_ms, latest - 1)


def grid_points(windows: Sequence[Window], rules: SlotRules) -> int:
    """How many candidates `person_starts` visits in these windows at most: busy time only
    makes it skip some. The work of one person in a free-slots request."""
    points = 0
    for window in windows:
        first, last = window_grid(window, rules)
        if first <= last:
            points += (last - first) // rules.interval_ms + 1
    return points


def window_grids(windows: Sequence[Window], rules: SlotRules) -> list[tuple[int, int]]:
    """`window_grid` of each window that has a candidate. Found once per list of windows:
    members with the same hours share one."""
    return [
        grid for grid in (window_grid(window, rules) for window in windows) if grid[0] <= grid[1]
    ]


def person_starts(
    person: Person,
    rules: SlotRules,
    grids: Sequence[tuple[int, int]],
    *,
    resources_full: Sequence[Span],
) -> list[int]:
    """The start times this person can take on the grids of their windows, ascending (`shared`
    spans aside: `free_slots` applies them).

    One pass over the candidates with forward-only pointers into the sorted busy lists:
    candidate spans only move forward, so no pointer ever moves back. Busy time is mostly
    blocking spans: a blocked candidate jumps past the span that blocks it, and the grid points
    up to the next blocking span are taken as one run, so the pass costs about one step per
    blocking span rather than one per grid point.
    """
    pre, post, duration, interval = (
        rules.pre_buffer_ms,
        rules.post_buffer_ms,
        rules.duration_ms,
        rules.interval_ms,
    )
    reach = duration + post  # how far past a candidate its span ends
    if rules.per_slot == 1 and not rules.is_class:
        # At one appointment per slot, one of this calendar's blocks a candidate like any busy
        # span, widened by this calendar's buffers: one merged list, jumped over, not counted.
        blocking = merge_windows([*person.blocking, *[(s - pre, e + post) for s, e in person.same]])
        same_starts, same_ends = [], []
    else:
        blocking = merge_windows(person.blocking)
        # Same-calendar appointments overlapping a span = started before its end - ended by
        # its start.
        same_starts = sorted(s - pre for s, _ in person.same)
        same_ends = sorted(e + post for _, e in person.same)
    seats = Counter(s for s, e in person.same if e - s == duration) if rules.is_class else None
    days_full = full_days(person, rules)
    # Only these make a candidate free of blocking spans busy; without them, a run is offered
    # whole.
    checked = bool(same_starts or days_full or resources_full)
    # A sentinel closes every sorted list, so the pointers need no bounds checks.
    blocking.append(PAST_EVERYTHING)
    same_starts.append(NEVER)
    same_ends.append(NEVER)
    days_full.append(PAST_EVERYTHING)
    full = [*resources_full, PAST_EVERYTHING]
    per_slot = rules.per_slot
    blocked_at = started = ended = day_at = full_at = 0
    offered: list[int] = []
    for start, last_start in grids:
        while start <= last_start:
            busy_start, busy_end = blocking[blocked_at]
            if busy_end <= start - pre:
                # Behind this candidate's span, so behind every later one.
                blocked_at += 1
                continue
            if busy_start < start + reach:
                # Jump to the first grid point whose span starts at or after this span's end:
                # the span is then behind, unless the jump left the window (it may reach into
                # the next one).
                free_from = busy_end + pre
                start = free_from + (start - free_from) % interval
                if start <= last_start:
                    blocked_at += 1
                continue
            # Up to this span's reach, no grid point meets a blocking span.
            run = range(start, min(last_start, busy_start - reach) + 1, interval)
            start += len(run) * interval
            if not checked:
                offered += run
                continue
            for candidate in run:
                span_start, span_end = candidate - pre, candidate + reach
                while same_starts[started] < span_end:
                    started += 1
                while same_ends[ended] <= span_start:
                    ended += 1
                overlapping = started - ended
                if seats is not None:
                    taken = seats.get(candidate, 0)
                    # Other overlapping appointments make the host busy; exact ones are seats.
                    if overlapping > taken or taken >= per_slot:
                        continue
                elif overlapping >= per_slot:
                    continue
                while days_full[day_at][1] <= candidate:
                    day_at += 1
                if days_full[day_at][0] <= candidate:
                    continue
                while full[full_at][1] <= candidate:
                    full_at += 1
                if full[full_at][0] < candidate + duration:
                    continue
                offered.append(candidate)
    return offered


@dataclass(frozen=True)
class FreeSlots:
    by_person: dict[str, list[int]] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)


def free_slots(
    persons: Sequence[Person],
    rules: SlotRules,
    require_all: bool = False,
    *,
    resources: Sequence[Resource] = (),
    known: Mapping[str, list[int]] | None = None,
) -> FreeSlots:
    """Offered starts per person, and for the calendar: any person free, or with
    `require_all` (collective calendars) every person free at that start. `known`: the starts
    of some persons (by key) as this would find them, found before for the same person, rules
    and resources (slots.service: after a booking, only its people's change): taken, not
    found again."""
    known = known or {}
    blocked_by_resources = merge_windows(span for r in resources for span in full_spans(r))
    # Persons with the same windows share their grids, and with the same shared spans too the
    # grid points those spans leave free: each found once (ids stay unique while `persons`
    # holds the objects).
    grids_of: dict[int, list[tuple[int, int]]] = {}
    shared_free_of: dict[tuple[int, int], set[int]] = {}
    by_person = {}
    for person in persons:
        if person.key in known:
            by_person[person.key] = known[person.key]
            continue
        windows_id = id(person.windows)
        if windows_id not in grids_of:
            grids_of[windows_id] = window_grids(person.windows, rules)
        grids = grids_of[windows_id]
        starts = person_starts(person, rules, grids, resources_full=blocked_by_resources)
        if person.shared:
            key = (windows_id, id(person.shared))
            if key not in shared_free_of:
                shared = Person(person.key, person.windows, blocking=person.shared)
                shared_free_of[key] = set(person_starts(shared, rules, grids, resources_full=()))
            starts = list(filter(shared_free_of[key].__contains__, starts))
        by_person[person.key] = starts
    if not by_person:
        return FreeSlots()
    sets = [set(starts) for starts in by_person.values()]
    combined = set.intersection(*sets) if require_all else set.union(*sets)
    return FreeSlots(by_person=by_person, starts=sorted(combined))
