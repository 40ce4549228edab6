"""Which availability applies to whom, and the open windows it gives as UTC instants.

PRODUCT §4.2:
- a team member's availability is their schedule associated with the calendar, else the
  calendar's own availability;
- the calendar's own availability is its event-calendar schedule, else its legacy
  `openHours` + `availabilities`;
- local times become instants in their zone: a time that does not exist (spring forward)
  moves forward by the gap, an ambiguous one (fall back) takes its first occurrence;
- a person's touching or overlapping windows are merged.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from opencalendars.availability.rules import MINUTES_PER_DAY, Availability
from opencalendars.zones import zone as load_zone

Window = tuple[int, int]  # [start, end) in UTC epoch milliseconds


def availability_for_member(
    user_id: str,
    member_schedules: Mapping[str, Availability],
    calendar_availability: Availability,
) -> Availability:
    return member_schedules.get(user_id, calendar_availability)


def calendar_availability(
    event_schedule: Availability | None, legacy_hours: Availability
) -> Availability:
    return event_schedule if event_schedule is not None else legacy_hours


@lru_cache(maxsize=65_536)
def local_instant_ms(day: date, minute: int, zone_name: str) -> int:
    """The instant of `minute` after local midnight of `day` (1440 is the next midnight)."""
    extra_days, minute = divmod(minute, MINUTES_PER_DAY)
    local = datetime.combine(day + timedelta(days=extra_days), time(minute // 60, minute % 60))
    # fold=0: Python reads a nonexistent time with the offset from before the gap (so it
    # lands later by the gap) and an ambiguous time as its first occurrence.
    return int(local.replace(tzinfo=load_zone(zone_name), fold=0).timestamp() * 1000)


def local_date(epoch_ms: int, zone_name: str) -> date:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).astimezone(load_zone(zone_name)).date()


def merge_windows(windows: Iterable[Window]) -> list[Window]:
    """Sorted, with touching or overlapping windows joined (empty ones dropped)."""
    merged: list[Window] = []
    spans = iter(sorted(windows))
    # Free slots merge thousands of spans per request: the window being grown stays in two
    # locals, and the usual case (a span inside or extending it) takes one or two compares.
    for first, last in spans:
        if last > first:
            break
    else:
        return merged
    for start, end in spans:
        if start > last:
            if end > start:
                merged.append((first, last))
                first, last = start, end
        elif end > last:
            last = end
    merged.append((first, last))
    return merged


def open_windows(availability: Availability, start_ms: int, end_ms: int) -> list[Window]:
    """Merged windows of `availability` that overlap [start_ms, end_ms), whole (not clipped),
    so that slot grids keep stepping from each window's real start."""
    first = local_date(start_ms, availability.zone) - timedelta(days=1)
    last = local_date(end_ms, availability.zone) + timedelta(days=1)
    windows = []
    day = first
    while day <= last:
        for interval in availability.intervals_on(day):
            windows.append(
                (
                    local_instant_ms(day, interval.start, availability.zone),
                    local_instant_ms(day, interval.end, availability.zone),
                )
            )
        day += timedelta(days=1)
    return [(s, e) for s, e in merge_windows(windows) if e > start_ms and s < end_ms]
