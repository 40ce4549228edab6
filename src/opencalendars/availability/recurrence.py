"""Recurring series (PRODUCT §5): RFC 5545 rules expanded lazily, on the location's wall clock.

The first occurrence is the series' own start (no DTSTART needed). Occurrences keep their
local time across DST changes (a weekly 09:00 stays 09:00). `EXDATE` lines and the series'
own exceptions leave occurrences out. A series without COUNT or UNTIL never ends; it is only
ever expanded over a bounded range.
"""

from datetime import UTC, datetime

from dateutil.rrule import rruleset, rrulestr

from opencalendars.zones import zone as load_zone


def rule_text(rrule: str) -> str:
    """The rule as stored: `RRULE:`-prefixed lines (a bare `FREQ=...` line gets the prefix)."""
    lines = [line.strip() for line in rrule.strip().splitlines() if line.strip()]
    return "\n".join(line if ":" in line else f"RRULE:{line}" for line in lines)


def parse(rrule: str, start_ms: int, zone_name: str) -> rruleset:
    """The series as a dateutil set anchored at its first start; ValueError when invalid."""
    zone = load_zone(zone_name)
    first = datetime.fromtimestamp(start_ms / 1000, tz=UTC).astimezone(zone)
    try:
        rules = rrulestr(rule_text(rrule), dtstart=first, forceset=True, tzids=load_zone)
        # Evaluate once: dateutil reports some errors (UNTIL without UTC, ...) only lazily.
        rules.after(first, inc=True)
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(str(error)) from None
    if not rules._rrule:
        raise ValueError("no RRULE line")
    return rules


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def occurrence_starts(
    rrule: str,
    start_ms: int,
    zone_name: str,
    from_ms: int,
    to_ms: int,
    exceptions: frozenset[int] = frozenset(),
) -> list[int]:
    """Occurrence starts in [from_ms, to_ms], ascending, without exceptions."""
    rules = parse(rrule, start_ms, zone_name)
    zone = load_zone(zone_name)
    low = datetime.fromtimestamp(from_ms / 1000, tz=UTC).astimezone(zone)
    high = datetime.fromtimestamp(to_ms / 1000, tz=UTC).astimezone(zone)
    found = (_ms(moment) for moment in rules.between(low, high, inc=True))
    return [start for start in found if start not in exceptions]


def series_end_ms(rrule: str, start_ms: int, duration_ms: int, zone_name: str) -> int | None:
    """When the last occurrence ends, or None for a series without end."""
    rules = parse(rrule, start_ms, zone_name)
    if not any(rule._count or rule._until for rule in rules._rrule):
        return None
    last = None
    for last in rules:  # noqa: B007 - bounded by COUNT or UNTIL
        pass
    return None if last is None else _ms(last) + duration_ms
