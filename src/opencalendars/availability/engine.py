"""The free-slot engine (PRODUCT §4.3, §4.4): from open windows and busy spans to start times.

Everything is interval arithmetic over sorted spans. Candidate starts come out of each
person's windows in ascending order, and every check walks a sorted list with a pointer
that only moves forward, so the cost grows with windows + busy items + candidates, never
with their product.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from opencalendars.availability.resolver import Window, local_date, merge_windows

Span = tuple[int, int]  # [start, end) in epoch milliseconds


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
    """

    key: str
    windows: Sequence[Window]
    blocking: Sequence[Span] = ()
    same: Sequence[Span] = ()


@dataclass(frozen=True)
class Resource:
    """A room or equipment mapped to the calendar: `units` at once across all its calendars."""

    units: int
    busy: Sequence[Span] = ()


@dataclass
class _Sweep:
    """A forward-only pointer over sorted spans: does [start, end) overlap any of them?"""

    spans: Sequence[Span]
    index: int = 0

    def overlaps(self, start: int, end: int) -> bool:
        spans = self.spans
        while self.index < len(spans) and spans[self.index][1] <= start:
            self.index += 1
        return self.index < len(spans) and spans[self.index][0] < end


@dataclass
class _Counter:
    """A forward-only count of spans overlapping [start, end): started before `end`
    minus ended by `start`. Both bounds only grow as candidates ascend."""

    starts: list[int]
    ends: list[int]
    started: int = 0
    ended: int = 0

    @classmethod
    def of(cls, spans: Iterable[Span]) -> "_Counter":
        spans = list(spans)
        return cls(sorted(s for s, _ in spans), sorted(e for _, e in spans))

    def overlapping(self, start: int, end: int) -> int:
        while self.started < len(self.starts) and self.starts[self.started] < end:
            self.started += 1
        while self.ended < len(self.ends) and self.ends[self.ended] <= start:
            self.ended += 1
        return self.started - self.ended


def candidate_starts(windows: Sequence[Window], rules: SlotRules) -> list[int]:
    """`start, start + interval, ...` while the slot fits, from each window's own start."""
    starts = []
    for window_start, window_end in windows:
        start = window_start
        while start + rules.duration_ms <= window_end:
            starts.append(start)
            start += rules.interval_ms
    return starts


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


def person_starts(person: Person, rules: SlotRules, resources_full: Sequence[Span]) -> list[int]:
    """The start times this person can take, ascending."""
    pre, post, duration = rules.pre_buffer_ms, rules.post_buffer_ms, rules.duration_ms
    blocking = _Sweep(merge_windows(person.blocking))
    same = _Counter.of((s - pre, e + post) for s, e in person.same)
    resources = _Sweep(resources_full)
    seats = Counter(s for s, e in person.same if e - s == duration) if rules.is_class else None
    per_day = (
        Counter(local_date(s, rules.day_zone) for s, _ in person.same) if rules.per_day else None
    )
    offered = []
    for start in candidate_starts(person.windows, rules):
        if start < rules.earliest_ms or (rules.latest_ms is not None and start >= rules.latest_ms):
            continue
        span_start, span_end = start - pre, start + duration + post
        if blocking.overlaps(span_start, span_end):
            continue
        overlapping = same.overlapping(span_start, span_end)
        if seats is not None:
            taken = seats.get(start, 0)
            # Other overlapping appointments make the host busy; exact ones are seats.
            if overlapping > taken or taken >= rules.per_slot:
                continue
        elif overlapping >= rules.per_slot:
            continue
        if per_day is not None and per_day[local_date(start, rules.day_zone)] >= rules.per_day:
            continue
        if resources.overlaps(start, start + duration):
            continue
        offered.append(start)
    return offered


@dataclass(frozen=True)
class FreeSlots:
    by_person: dict[str, list[int]] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)


def free_slots(
    persons: Sequence[Person],
    rules: SlotRules,
    require_all: bool = False,
    resources: Sequence[Resource] = (),
) -> FreeSlots:
    """Offered starts per person, and for the calendar: any person free, or with
    `require_all` (collective calendars) every person free at that start."""
    blocked_by_resources = merge_windows(span for r in resources for span in full_spans(r))
    by_person = {
        person.key: person_starts(person, rules, blocked_by_resources) for person in persons
    }
    if not by_person:
        return FreeSlots()
    sets = [set(starts) for starts in by_person.values()]
    combined = set.intersection(*sets) if require_all else set.union(*sets)
    return FreeSlots(by_person=by_person, starts=sorted(combined))
