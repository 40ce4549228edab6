"""Recurring series (PRODUCT §5): RFC 5545 rules expanded lazily, on the location's wall clock.

The first occurrence is the series' own start (no DTSTART needed). Occurrences keep their
local time across DST changes (a weekly 09:00 stays 09:00). `EXDATE` lines and the series'
own exceptions leave occurrences out. A series without COUNT or UNTIL never ends; it is only
ever expanded over a bounded range.

dateutil parses the rule (and fills in what the start implies: the weekday of a weekly rule,
the day of a monthly one, the time of day), but does not expand it: its iterator walks every
period from the first occurrence, and spins through empty periods until the next match, so a
read would cost what the series' history (or its next occurrence, years away) holds. Here a
rule is a sequence of periods (days, weeks from WKST, months or years, INTERVAL apart) and the
occurrences of one period are computed from that period alone, with dateutil's semantics; an
expansion looks only at the periods that overlap the asked range (a series with COUNT is
counted from its first period, at most 5 years of periods). tests/unit/test_recurrence.py
checks this against dateutil's own expansion.

Rules are limited where they are accepted (`series_end_ms`): FREQ DAILY to YEARLY, no BYHOUR,
BYMINUTE or BYSECOND (so at most one occurrence a local day, at the start's time of day), no
BYYEARDAY, BYWEEKNO or BYEASTER, one RRULE line and EXDATE lines only, at most
`MAX_RULE_CHARS` characters, COUNT at most `MAX_COUNT`, an end (COUNT or UNTIL) within
`HORIZON_DAYS` of the start, and an occurrence within that horizon.
"""

import calendar
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrulestr

from opencalendars.zones import is_known_zone
from opencalendars.zones import zone as load_zone

MAX_RULE_CHARS = 1000
MAX_COUNT = 730
HORIZON_DAYS = 1827  # 5 years, leap days included
DAY_MS = 86_400_000

RULE_LINES = "rrule must hold one RRULE line and, optionally, EXDATE lines"
RULE_FREQ = "rrule FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"
RULE_TIMES = (
    "rrule must not have BYHOUR, BYMINUTE or BYSECOND: "
    "a series has one occurrence a day at most, at the time of startTime"
)
RULE_PARTS = "rrule must not have BYYEARDAY, BYWEEKNO or BYEASTER"
RULE_INTERVAL = "rrule INTERVAL must be at least 1"
RULE_LENGTH = f"rrule must be at most {MAX_RULE_CHARS} characters long"
RULE_COUNT = f"rrule COUNT must be between 1 and {MAX_COUNT}"
RULE_COUNT_AND_UNTIL = "rrule must not have both COUNT and UNTIL"
RULE_UNTIL = "rrule UNTIL must be at most 5 years after startTime"
RULE_COUNT_SPAN = "rrule COUNT must end the series within 5 years of startTime"
RULE_EMPTY = "rrule yields no occurrence within 5 years of startTime"

_FREQUENCIES = (YEARLY, MONTHLY, WEEKLY, DAILY)
_TIME_PARTS = {"BYHOUR", "BYMINUTE", "BYSECOND"}
_OTHER_PARTS = {"BYYEARDAY", "BYWEEKNO", "BYEASTER"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_MAX_ORDINAL = date.max.toordinal()


class RuleRefused(ValueError):
    """A rule this server does not take; the message says why (a 400 as it is)."""


@dataclass(frozen=True, slots=True)
class Series:
    """A parsed rule, in dateutil's normalised terms (defaults from the start filled in)."""

    freq: int
    interval: int
    wkst: int
    count: int | None
    until_ms: int | None
    first: date  # the start's local date
    first_ordinal: int
    clock: time  # the start's local time of day, with the zone
    bymonth: frozenset[int] | None
    bymonthday: frozenset[int]
    bynmonthday: frozenset[int]
    byweekday: frozenset[int] | None
    bynweekday: tuple[tuple[int, int], ...] | None
    bysetpos: tuple[int, ...] | None
    exdates: frozenset[int]  # epoch ms
    filtered: bool  # any of the BY filters (a plain daily rule has none: every day is one)


def rule_text(rrule: str) -> str:
    """The rule as stored: `RRULE:`-prefixed lines (a bare `FREQ=...` line gets the prefix)."""
    lines = [line.strip() for line in rrule.strip().splitlines() if line.strip()]
    return "\n".join(line if ":" in line else f"RRULE:{line}" for line in lines)


def _epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _MS


def _local(epoch_ms: int, zone: ZoneInfo) -> datetime:
    """OverflowError when the instant or its local time is outside the years 1 to 9999."""
    return (_EPOCH + timedelta(milliseconds=epoch_ms)).astimezone(zone)


def _local_ordinal(epoch_ms: int, zone: ZoneInfo) -> int:
    """The local date of an instant as an ordinal, clamped to the years 1 to 9999."""
    try:
        return _local(epoch_ms, zone).toordinal()
    except OverflowError:
        return 1 if epoch_ms < 0 else _MAX_ORDINAL


def _check_lines(text: str) -> set[str]:
    """One RRULE line and EXDATE lines (split the way dateutil splits them), and no part
    that puts several occurrences in a day or that this module does not expand: the names of
    the RRULE's parts."""
    rules = []
    for token in text.upper().split():
        name, _, value = token.partition(":") if ":" in token else ("RRULE", "", token)
        name = name.split(";", 1)[0]
        if name == "RRULE":
            rules.append(value)
        elif name != "EXDATE":
            raise RuleRefused(RULE_LINES)
    if len(rules) != 1:
        raise RuleRefused(RULE_LINES)
    parts = {pair.split("=", 1)[0] for pair in rules[0].split(";")}
    if parts & _TIME_PARTS:
        raise RuleRefused(RULE_TIMES)
    if parts & _OTHER_PARTS:
        raise RuleRefused(RULE_PARTS)
    return parts


def _exdate_zone(name: str) -> ZoneInfo:
    """An `EXDATE;TZID=` zone: IANA names only, as for locations."""
    if not is_known_zone(name):
        raise ValueError(f"unknown time zone {name}")
    return load_zone(name)


@lru_cache(maxsize=4096)
def parse(rrule: str, start_ms: int, zone_name: str) -> Series:
    """The series anchored at its first start. RuleRefused for a rule of a kind this server
    does not take, ValueError for one that is not RFC 5545. Costs no expansion."""
    text = rule_text(rrule)
    _check_lines(text)
    zone = load_zone(zone_name)
    try:
        first = _local(start_ms, zone)
        rules = rrulestr(text, dtstart=first, forceset=True, tzids=_exdate_zone)
        exdates = frozenset(_epoch_ms(moment) for moment in rules._exdate)
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        # TypeError: an EXDATE without a zone (a date, or a local time) cannot be compared.
        raise ValueError(str(error)) from None
    (rule,) = rules._rrule
    if rule._freq not in _FREQUENCIES:
        raise RuleRefused(RULE_FREQ)
    if rule._interval < 1:
        raise RuleRefused(RULE_INTERVAL)
    return Series(
        freq=rule._freq,
        interval=rule._interval,
        wkst=rule._wkst,
        count=rule._count,
        until_ms=None if rule._until is None else _epoch_ms(rule._until),
        first=first.date(),
        first_ordinal=first.toordinal(),
        clock=time(first.hour, first.minute, first.second, tzinfo=zone),
        bymonth=None if rule._bymonth is None else frozenset(rule._bymonth),
        bymonthday=frozenset(rule._bymonthday),
        bynmonthday=frozenset(rule._bynmonthday),
        byweekday=None if rule._byweekday is None else frozenset(rule._byweekday),
        bynweekday=None if rule._bynweekday is None else tuple(rule._bynweekday),
        bysetpos=rule._bysetpos or None,
        exdates=exdates,
        filtered=bool(
            rule._bymonth
            or rule._bymonthday
            or rule._bynmonthday
            or rule._byweekday
            or rule._bynweekday
        ),
    )


# ---- periods -------------------------------------------------------------------------------


def _week_zero(series: Series) -> int:
    """The ordinal of the first day (WKST) of the start's week."""
    return series.first_ordinal - (series.first.weekday() - series.wkst) % 7


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _period(series: Series, index: int) -> tuple[int, int] | None:
    """The days `[low, high)` (ordinals) of the index-th period, or None past the year 9999.
    The first period of a weekly rule starts at the start's day, as dateutil's does."""
    step = series.interval * index
    if series.freq == DAILY:
        low = series.first_ordinal + step
        high = low + 1
    elif series.freq == WEEKLY:
        low = _week_zero(series) + 7 * step if index else series.first_ordinal
        high = _week_zero(series) + 7 * step + 7
    elif series.freq == MONTHLY:
        year, month = divmod(_month_index(series.first) + step, 12)
        if year > MAXYEAR:
            return None
        low = date(year, month + 1, 1).toordinal()
        high = low + calendar.monthrange(year, month + 1)[1]
    else:
        year = series.first.year + step
        if year > MAXYEAR:
            return None
        low = date(year, 1, 1).toordinal()
        high = low + 365 + calendar.isleap(year)
    if low > _MAX_ORDINAL:
        return None
    return low, min(high, _MAX_ORDINAL + 1)


def _period_at(series: Series, ordinal: int) -> int:
    """The index of the last period that starts on or before the day (0 at the earliest)."""
    if ordinal <= series.first_ordinal:
        return 0
    if series.freq == DAILY:
        index = (ordinal - series.first_ordinal) // series.interval
    elif series.freq == WEEKLY:
        index = (ordinal - _week_zero(series)) // (7 * series.interval)
    elif series.freq == MONTHLY:
        months = _month_index(date.fromordinal(ordinal)) - _month_index(series.first)
        index = months // series.interval
    else:
        index = (date.fromordinal(ordinal).year - series.first.year) // series.interval
    return max(index, 0)


def _nth_weekday(series: Series, day: date, ordinal: int) -> bool:
    """BYDAY with a number (`2MO`, `-1FR`): in the month for MONTHLY rules and for YEARLY
    rules with BYMONTH, in the year for other YEARLY rules (dateutil's reading)."""
    if series.freq == MONTHLY or series.bymonth:
        low = ordinal - day.day + 1
        high = low + calendar.monthrange(day.year, day.month)[1] - 1
    else:
        low = date(day.year, 1, 1).toordinal()
        high = low + 364 + calendar.isleap(day.year)
    weekday = day.weekday()
    for wanted, n in series.bynweekday:
        if wanted != weekday:
            continue
        if n > 0 and (ordinal - low) // 7 + 1 == n:
            return True
        if n < 0 and (high - ordinal) // 7 + 1 == -n:
            return True
    return False


def _matches(series: Series, ordinal: int) -> bool:
    """dateutil's filters for one day: all of BYMONTH, BYDAY, numbered BYDAY, BYMONTHDAY."""
    day = date.fromordinal(ordinal)
    if series.bymonth is not None and day.month not in series.bymonth:
        return False
    if series.byweekday is not None and day.weekday() not in series.byweekday:
        return False
    if series.bynweekday is not None and not _nth_weekday(series, day, ordinal):
        return False
    if series.bymonthday or series.bynmonthday:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        if (
            day.day not in series.bymonthday
            and day.day - days_in_month - 1 not in series.bynmonthday
        ):
            return False
    return True


def _period_days(series: Series, low: int, high: int) -> list[int]:
    """The days (ordinals, ascending) of one period that hold an occurrence, before the start
    and UNTIL are applied; BYSETPOS picks among the days that pass the filters."""
    if not series.filtered:
        days = list(range(low, high))
    else:
        days = [ordinal for ordinal in range(low, high) if _matches(series, ordinal)]
    if series.bysetpos is None or not days:
        return days
    chosen = set()
    for position in series.bysetpos:
        index = position - 1 if position > 0 else position
        if -len(days) <= index < len(days):
            chosen.add(days[index])
    return sorted(chosen)


def _occurrences(series: Series, first_index: int, last_ordinal: int):
    """`(ordinal, epoch ms)` of the occurrences in the periods from `first_index` on that start
    on or before `last_ordinal`, ascending; COUNT needs `first_index` 0."""
    seen = 0
    index = first_index
    while (bounds := _period(series, index)) is not None and bounds[0] <= last_ordinal:
        for ordinal in _period_days(series, *bounds):
            if ordinal < series.first_ordinal:
                continue
            start_ms = _epoch_ms(datetime.combine(date.fromordinal(ordinal), series.clock))
            if series.until_ms is not None and start_ms > series.until_ms:
                return
            if series.count is not None:
                seen += 1
                if seen > series.count:
                    return
            yield ordinal, start_ms
        index += 1


# ---- the API -------------------------------------------------------------------------------


def occurrence_starts(
    rrule: str,
    start_ms: int,
    zone_name: str,
    *,
    from_ms: int,
    to_ms: int,
    exceptions: frozenset[int] = frozenset(),
    limit: int | None = None,
) -> list[int]:
    """Occurrence starts in [from_ms, to_ms], ascending, without exceptions; at most
    `limit + 1` of them (the caller asks one more than it takes, to know there are more).

    Looks at the periods that overlap the range (a day more on each side, for the zone's
    offset) and, for a series with COUNT, at the periods before them, 5 years of them at most.
    A stored rule this version refuses (only in a database written before the limits) expands
    to nothing."""
    try:
        series = parse(rrule, start_ms, zone_name)
    except ValueError:
        return []
    if from_ms > to_ms:
        return []
    zone = load_zone(zone_name)
    low = max(_local_ordinal(from_ms, zone) - 1, 1)
    high = min(_local_ordinal(to_ms, zone) + 1, _MAX_ORDINAL)
    if series.count is None:
        first_index = _period_at(series, low)
    else:
        # Counted from the first period; an accepted COUNT ends within the horizon.
        first_index = 0
        high = min(high, series.first_ordinal + HORIZON_DAYS + 1)
    found = []
    for _ordinal, moment in _occurrences(series, first_index, high):
        if from_ms <= moment <= to_ms and moment not in exceptions and moment not in series.exdates:
            found.append(moment)
            if limit is not None and len(found) > limit:
                break
    return found


def series_end_ms(rrule: str, start_ms: int, duration_ms: int, *, zone_name: str) -> int | None:
    """Accept a rule for a series starting at `start_ms`: when its last occurrence ends, or None
    for a series without end. RuleRefused when it is beyond the limits, ValueError when it is
    not RFC 5545. Looks at 5 years of periods at most."""
    if len(rrule) > MAX_RULE_CHARS:
        raise RuleRefused(RULE_LENGTH)
    if {"COUNT", "UNTIL"} <= _check_lines(rule_text(rrule)):
        raise RuleRefused(RULE_COUNT_AND_UNTIL)  # before dateutil warns about it
    series = parse(rrule, start_ms, zone_name)
    if series.count is not None and not 1 <= series.count <= MAX_COUNT:
        raise RuleRefused(RULE_COUNT)
    horizon_ms = start_ms + HORIZON_DAYS * DAY_MS
    if series.until_ms is not None and series.until_ms > horizon_ms:
        raise RuleRefused(RULE_UNTIL)
    ends = series.count is not None or series.until_ms is not None
    horizon = min(_local_ordinal(horizon_ms, load_zone(zone_name)) + 1, _MAX_ORDINAL)
    seen = 0
    last = None
    for _ordinal, moment in _occurrences(series, 0, horizon):
        if moment > horizon_ms:
            break
        seen += 1
        if moment not in series.exdates:
            last = moment
            if not ends:
                break
    if last is None:
        raise RuleRefused(RULE_EMPTY)
    if series.count is not None and seen < series.count:
        raise RuleRefused(RULE_COUNT_SPAN)
    return last + duration_ms if ends else None
