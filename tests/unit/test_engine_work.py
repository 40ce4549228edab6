"""The engine's work, counted: `grid_points` is exactly the number of candidates a free person
is offered (free slots bound requests by it), and `appoinmentPerDay` costs no time zone
conversion per candidate yet still closes exactly the candidates of full local dates."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from opencalendars.availability.engine import Person, SlotRules, free_slots, grid_points
from opencalendars.availability.resolver import local_date, merge_windows
from opencalendars.slots.service import request_grid_points

MIN = 60_000
DAY = 1_772_323_200_000  # 2026-03-01T00:00:00Z


def windows_strategy():
    spans = st.tuples(st.integers(0, 20 * 1440), st.integers(1, 2 * 1440))
    return st.lists(spans, max_size=8).map(
        lambda items: merge_windows((DAY + s * MIN, DAY + (s + n) * MIN) for s, n in items)
    )


@settings(max_examples=300, deadline=None)
@given(
    windows=windows_strategy(),
    duration=st.integers(1, 120),
    interval=st.integers(1, 120),
    earliest=st.integers(-1440, 21 * 1440),
    latest=st.integers(0, 22 * 1440),
)
def test_a_free_person_is_offered_every_grid_point(windows, duration, interval, earliest, latest):
    rules = SlotRules(
        duration_ms=duration * MIN,
        interval_ms=interval * MIN,
        earliest_ms=DAY + earliest * MIN,
        latest_ms=DAY + latest * MIN,
    )

    offered = free_slots([Person("u", windows=windows)], rules).by_person["u"]

    assert len(offered) == grid_points(windows, rules)


def test_members_with_the_same_hours_are_each_counted():
    shared = [(DAY, DAY + 1440 * MIN)]
    own = [(DAY, DAY + 60 * MIN)]
    persons = [Person("a", shared), Person("b", shared), Person("c", own)]
    rules = SlotRules(duration_ms=MIN, interval_ms=MIN)

    assert request_grid_points(persons, rules) == 1440 + 1440 + 60


# Two weeks from each of these hold a daylight saving change in most of the zones below:
# New York springs forward on 2026-03-08 and falls back on 11-01, Santiago falls back at
# midnight on 04-04/05 and springs forward at midnight on 09-06 (that midnight does not exist),
# Lord Howe moves by 30 minutes on 04-05 and 10-04.
BASES = [
    1_772_323_200_000,  # 2026-03-01T00:00:00Z
    1_775_001_600_000,  # 2026-04-01T00:00:00Z
    1_788_048_000_000,  # 2026-08-30T00:00:00Z
    1_790_640_000_000,  # 2026-09-29T00:00:00Z
    1_792_886_400_000,  # 2026-10-25T00:00:00Z
]


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(BASES),
    starts=st.lists(st.integers(0, 14 * 1440), max_size=12),
    per_day=st.integers(1, 3),
    zone=st.sampled_from(
        ["America/New_York", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
    ),
)
def test_appointments_per_day_close_exactly_the_full_local_dates(base, starts, per_day, zone):
    same = [(base + s * MIN, base + (s + 15) * MIN) for s in starts]
    first = base - 2 * 1440 * MIN
    windows = [(first, base + 16 * 1440 * MIN)]
    rules = SlotRules(
        duration_ms=15 * MIN,
        interval_ms=15 * MIN,
        # Overlapping appointments count against appoinmentPerSlot: never reached here.
        per_slot=1000,
        per_day=per_day,
        day_zone=zone,
    )

    offered = free_slots([Person("u", windows, same=same)], rules).starts

    held = Counter(local_date(start, zone) for start, _ in same)
    candidates = [first + n * 15 * MIN for n in range(18 * 96)]
    assert offered == [c for c in candidates if held[local_date(c, zone)] < per_day]
