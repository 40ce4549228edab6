"""Recurring series (issue 19, defect 2): the expansion seeks to the asked range, and gives what
dateutil gives walking from the first occurrence; rules are limited where they are accepted,
and accepting one looks at 5 years of periods at most."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencalendars.availability import recurrence
from opencalendars.availability.recurrence import occurrence_starts, series_end_ms

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_MS = 86_400_000
ZONES = ["America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
NY = "America/New_York"


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def iso(epoch_ms: int, zone: str = NY) -> str:
    return (EPOCH + timedelta(milliseconds=epoch_ms)).astimezone(ZoneInfo(zone)).isoformat()


def dateutil_starts(rule: str, start_ms: int, zone: str, from_ms: int, to_ms: int) -> list[int]:
    """The reference: dateutil's own expansion, walking from the first occurrence."""
    first = (EPOCH + timedelta(milliseconds=start_ms)).astimezone(ZoneInfo(zone))
    found = []
    for moment in rrulestr(recurrence.rule_text(rule), dtstart=first, forceset=True):
        moment_ms = (moment - EPOCH) // timedelta(milliseconds=1)
        if moment_ms > to_ms:
            break
        if moment_ms >= from_ms:
            found.append(moment_ms)
    return found


def weekday_set(draw, least=1):
    return draw(st.lists(st.sampled_from(WEEKDAYS), min_size=least, max_size=7, unique=True))


def month_days(draw):
    days = st.integers(1, 28) | st.integers(-28, -1)
    return draw(st.lists(days, min_size=1, max_size=4, unique=True))


def months(draw):
    return draw(st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True))


@st.composite
def rules(draw):
    """Rules of every shape the server takes, none that can never occur again (dateutil's walk,
    the reference, would go on to the year 9999 looking for the next occurrence)."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    interval = draw(st.integers(1, 10))
    parts = [f"FREQ={freq}"]
    if interval > 1 or draw(st.booleans()):
        parts.append(f"INTERVAL={interval}")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(WEEKDAYS))}")
    shape = draw(st.integers(0, 3))
    in_year = False
    if freq == "DAILY":
        if shape == 1 and interval % 7:
            parts.append("BYDAY=" + ",".join(weekday_set(draw)))
        elif shape == 2:
            parts.append("BYMONTHDAY=" + ",".join(map(str, month_days(draw))))
        if draw(st.booleans()):
            parts.append("BYMONTH=" + ",".join(map(str, months(draw))))
    elif freq == "WEEKLY":
        if shape in (1, 2):
            chosen = weekday_set(draw)
            parts.append("BYDAY=" + ",".join(chosen))
            if shape == 2:
                position = draw(st.integers(1, len(chosen)))
                parts.append(f"BYSETPOS={draw(st.sampled_from([position, -position]))}")
        if draw(st.booleans()):
            parts.append("BYMONTH=" + ",".join(map(str, months(draw))))
    else:
        if shape == 1:
            parts.append("BYMONTHDAY=" + ",".join(map(str, month_days(draw))))
        elif shape == 2:
            # Numbered weekdays: in the month (MONTHLY, or YEARLY with BYMONTH), or in the year.
            in_year = freq == "YEARLY" and draw(st.booleans())
            top = 52 if in_year else 4
            nth = st.integers(1, top) | st.integers(-top, -1)
            numbered = draw(st.lists(st.tuples(nth, st.sampled_from(WEEKDAYS)), min_size=1))
            parts.append("BYDAY=" + ",".join(f"{n}{day}" for n, day in numbered))
        elif shape == 3:
            chosen = weekday_set(draw, least=2)
            position = draw(st.integers(1, len(chosen)))
            parts.append("BYDAY=" + ",".join(chosen))
            parts.append(f"BYSETPOS={draw(st.sampled_from([position, -position]))}")
        if not (shape == 2 and in_year) and draw(st.booleans()):
            parts.append(f"BYMONTH={','.join(map(str, months(draw)))}")
    return ";".join(parts)


def reaches_a_month(rule: str, start_month: int) -> bool:
    """A MONTHLY rule with BYMONTH occurs only if its INTERVAL steps reach one of those months."""
    parts = dict(part.split("=") for part in rule.split(";"))
    if parts["FREQ"] != "MONTHLY" or "BYMONTH" not in parts:
        return True
    interval = int(parts.get("INTERVAL", "1"))
    reached = {(start_month - 1 + interval * step) % 12 + 1 for step in range(12)}
    return bool(reached & {int(month) for month in parts["BYMONTH"].split(",")})


def accepted(rule: str, start_ms: int, zone: str) -> bool:
    """Whether a series with this rule can be stored (`series_end_ms` is the check of every
    write): only stored series are expanded."""
    try:
        series_end_ms(rule, start_ms, 0, zone_name=zone)
    except recurrence.RuleRefused:
        return False
    return True


@st.composite
def cases(draw):
    zone = draw(st.sampled_from(ZONES))
    moment = draw(
        st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2035, 12, 31))
    ).replace(second=draw(st.sampled_from([0, 0, 30])), microsecond=0)
    start_ms = (moment.replace(tzinfo=ZoneInfo(zone)) - EPOCH) // timedelta(milliseconds=1)
    rule = draw(rules())
    end = draw(st.sampled_from(["none", "none", "count", "until"]))
    if end == "count":
        rule += f";COUNT={draw(st.integers(1, 40))}"
    elif end == "until":
        until = EPOCH + timedelta(milliseconds=start_ms + draw(st.integers(0, 1500)) * DAY_MS)
        rule += ";UNTIL=" + until.strftime("%Y%m%dT%H%M%SZ")
    # Ranges from before the start to 20 years after it (within the end, when there is one),
    # from a moment to 400 days long.
    years = 20 if end == "none" else draw(st.sampled_from([0, 1, 4]))
    offset_days = draw(st.integers(-40, 365 * years) | st.sampled_from([0, 365 * years]))
    from_ms = start_ms + offset_days * DAY_MS + draw(st.integers(-DAY_MS, DAY_MS))
    length_days = draw(st.sampled_from([0, 1, 7, 31, 92, 366, 400]) | st.integers(0, 400))
    to_ms = from_ms + length_days * DAY_MS + draw(st.integers(0, DAY_MS))
    return rule, start_ms, zone, from_ms, to_ms, moment.month


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_the_seeking_expansion_equals_dateutils_walk_from_the_first_occurrence(case):
    rule, start_ms, zone, from_ms, to_ms, start_month = case
    if not reaches_a_month(rule, start_month):
        return  # never occurs: dateutil's walk would look until the year 9999
    if not accepted(rule, start_ms, zone):
        return  # never stored: a COUNT past the 5-year horizon is refused, and expanded to it only

    assert occurrence_starts(rule, start_ms, zone, from_ms=from_ms, to_ms=to_ms) == dateutil_starts(
        rule, start_ms, zone, from_ms, to_ms
    )


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=1",  # the first period is the start's week, partial
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",  # the last workday
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",  # leap days only
        "FREQ=YEARLY;BYDAY=-1SU",  # the last Sunday of the year
        "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",  # the last Sunday of March and of October
        "FREQ=MONTHLY;BYMONTHDAY=31",  # months with 31 days only
        "FREQ=MONTHLY;BYMONTHDAY=-1;INTERVAL=5",
        "FREQ=WEEKLY;INTERVAL=3;WKST=SU;BYDAY=SU,SA",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO",  # leap days on a Monday: decades apart
    ],
)
def test_known_shapes_equal_dateutil_over_decades(rule):
    start = ms("2026-01-31T09:00:00-05:00")  # a Saturday, the last day of a month
    for offset_years in (0, 3, 11, 29):
        low = start + offset_years * 365 * DAY_MS
        high = low + 400 * DAY_MS
        assert occurrence_starts(rule, start, NY, from_ms=low, to_ms=high) == dateutil_starts(
            rule, start, NY, low, high
        ), offset_years


def test_the_first_period_of_a_weekly_rule_starts_at_the_start_as_in_dateutil():
    start = ms("2026-03-04T09:00:00-05:00")  # a Wednesday
    rule = "FREQ=WEEKLY;BYDAY=MO,WE,FR;BYSETPOS=1"

    found = occurrence_starts(rule, start, NY, from_ms=start, to_ms=start + 14 * DAY_MS)

    # BYSETPOS=1 of the first week picks among Wednesday and Friday: that week's Monday was
    # before the start and is no part of it.
    assert [iso(moment) for moment in found] == [
        "2026-03-04T09:00:00-05:00",
        "2026-03-09T09:00:00-04:00",
        "2026-03-16T09:00:00-04:00",
    ]
    assert found == dateutil_starts(rule, start, NY, start, start + 14 * DAY_MS)


def test_occurrences_keep_the_wall_clock_time_across_dst_in_every_zone():
    start = ms("2026-03-27T09:30:00+00:00")  # London, the Friday before the spring change

    found = occurrence_starts(
        "FREQ=DAILY", start, "Europe/London", from_ms=start, to_ms=start + 3 * DAY_MS
    )

    assert [iso(moment, "Europe/London") for moment in found] == [
        "2026-03-27T09:30:00+00:00",
        "2026-03-28T09:30:00+00:00",
        "2026-03-29T09:30:00+01:00",
        "2026-03-30T09:30:00+01:00",  # 08:30Z: within the 72 hours
    ]


def count_period_work(monkeypatch) -> list:
    """Each call of the expansion's per-period step, recorded (the step itself still runs)."""
    calls = []
    real = recurrence._period_days

    def counted(series, low, high):
        calls.append(high - low)
        return real(series, low, high)

    monkeypatch.setattr(recurrence, "_period_days", counted)
    return calls


def test_a_daily_series_twenty_years_old_costs_what_the_range_holds(monkeypatch):
    calls = count_period_work(monkeypatch)
    start = ms("2006-03-01T09:00:00-05:00")
    low, high = ms("2026-03-01T00:00:00-05:00"), ms("2026-04-01T00:00:00-04:00")

    found = occurrence_starts("FREQ=DAILY", start, NY, from_ms=low, to_ms=high - 1)

    assert len(found) == 31
    # The 31 days of March and one day either side (the zone's offset), never the 7,305 days
    # since the start.
    assert (len(calls), sum(calls)) == (33, 33)
    assert found == dateutil_starts("FREQ=DAILY", start, NY, low, high - 1)


def test_a_sparse_series_costs_the_range_not_the_gap_to_its_next_occurrence(monkeypatch):
    calls = count_period_work(monkeypatch)
    rule = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"  # 2016-02-29, then 2044-02-29
    start = ms("2016-02-29T09:00:00-05:00")
    low = ms("2030-01-01T00:00:00-05:00")

    assert occurrence_starts(rule, start, NY, from_ms=low, to_ms=low + 31 * DAY_MS) == []
    # January 1 to February 1 and a day either side; dateutil walks every day from 2016 to 2044
    assert len(calls) == 34
    assert [
        iso(m)
        for m in occurrence_starts(rule, start, NY, from_ms=start, to_ms=ms("2045-01-01T00:00Z"))
    ] == [
        "2016-02-29T09:00:00-05:00",
        "2044-02-29T09:00:00-05:00",
    ]


def test_a_yearly_series_looks_at_the_years_of_the_range_only(monkeypatch):
    calls = count_period_work(monkeypatch)
    start = ms("1990-07-04T18:00:00-04:00")
    low = ms("2026-01-01T00:00:00-05:00")

    found = occurrence_starts("FREQ=YEARLY", start, NY, from_ms=low, to_ms=low + 365 * DAY_MS)

    assert [iso(moment) for moment in found] == ["2026-07-04T18:00:00-04:00"]
    assert len(calls) == 3  # 2026, 2027 (the range ends on 2027-01-01) and 2025 (a day before)


def test_the_expansion_stops_one_past_its_limit(monkeypatch):
    calls = count_period_work(monkeypatch)
    start = ms("2026-03-02T09:00:00-05:00")

    found = occurrence_starts(
        "FREQ=DAILY", start, NY, from_ms=start, to_ms=start + 365 * DAY_MS, limit=10
    )

    assert len(found) == 11
    assert len(calls) == 11


def test_exceptions_and_exdates_leave_occurrences_out():
    start = ms("2026-03-02T09:00:00-05:00")
    rule = "FREQ=DAILY;COUNT=5\nEXDATE;TZID=America/New_York:20260303T090000"

    found = occurrence_starts(
        rule,
        start,
        NY,
        from_ms=start,
        to_ms=start + 10 * DAY_MS,
        exceptions=frozenset({start + 3 * DAY_MS}),
    )

    assert [iso(moment) for moment in found] == [
        "2026-03-02T09:00:00-05:00",
        "2026-03-04T09:00:00-05:00",
        "2026-03-06T09:00:00-05:00",
    ]


def test_ranges_at_the_edges_of_the_years_1_to_9999_expand_without_error():
    start = ms("9999-12-01T09:00:00-05:00")
    last = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z

    assert len(occurrence_starts("FREQ=DAILY", start, NY, from_ms=start, to_ms=last)) == 31
    assert occurrence_starts("FREQ=DAILY", start, NY, from_ms=last + 1, to_ms=10**18) == []
    assert occurrence_starts(
        "FREQ=YEARLY;INTERVAL=1000000", start, NY, from_ms=start, to_ms=last
    ) == [start]
    early = ms("0001-01-02T12:00:00+00:00")
    assert occurrence_starts("FREQ=DAILY", early, "UTC", from_ms=-(10**18), to_ms=early - 1) == []
    assert occurrence_starts(
        "FREQ=DAILY", early, "UTC", from_ms=-(10**18), to_ms=early + DAY_MS
    ) == [
        early,
        early + DAY_MS,
    ]
    assert series_end_ms("FREQ=WEEKLY;COUNT=3", start, 1800_000, zone_name=NY) == ms(
        "9999-12-15T09:30:00-05:00"
    )


# ---- the limits of an accepted rule -----------------------------------------------------------

START = ms("2026-03-02T09:00:00-05:00")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=HOURLY", recurrence.RULE_FREQ),
        ("FREQ=SECONDLY;COUNT=3", recurrence.RULE_FREQ),
        ("FREQ=DAILY;BYHOUR=9,10", recurrence.RULE_TIMES),
        ("FREQ=WEEKLY;BYMINUTE=0,30", recurrence.RULE_TIMES),
        ("FREQ=DAILY;BYSECOND=1", recurrence.RULE_TIMES),
        ("FREQ=YEARLY;BYYEARDAY=100", recurrence.RULE_PARTS),
        ("FREQ=YEARLY;BYWEEKNO=20", recurrence.RULE_PARTS),
        ("FREQ=YEARLY;BYEASTER=0", recurrence.RULE_PARTS),
        ("FREQ=DAILY;INTERVAL=0", recurrence.RULE_INTERVAL),
        ("FREQ=DAILY;INTERVAL=-1", recurrence.RULE_INTERVAL),
        ("FREQ=DAILY;COUNT=731", recurrence.RULE_COUNT),
        ("FREQ=DAILY;COUNT=0", recurrence.RULE_COUNT),
        ("FREQ=DAILY;COUNT=3;UNTIL=20260310T000000Z", recurrence.RULE_COUNT_AND_UNTIL),
        ("FREQ=DAILY;UNTIL=20310303T140001Z", recurrence.RULE_UNTIL),  # 1,827 days and 1 s
        ("FREQ=WEEKLY;COUNT=263", recurrence.RULE_COUNT_SPAN),  # 1,834 days
        ("FREQ=YEARLY;COUNT=7", recurrence.RULE_COUNT_SPAN),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", recurrence.RULE_EMPTY),  # no February 30th
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", recurrence.RULE_EMPTY),  # next: 2044
        ("FREQ=DAILY;UNTIL=20260301T000000Z", recurrence.RULE_EMPTY),
        # dateutil reads a plain weekday and a numbered one as both at once: no such day.
        ("FREQ=MONTHLY;BYDAY=MO,2TU", recurrence.RULE_EMPTY),  # ends before it starts
        ("FREQ=DAILY;COUNT=1\nEXDATE:20260302T140000Z", recurrence.RULE_EMPTY),
        ("FREQ=DAILY\nRRULE:FREQ=WEEKLY", recurrence.RULE_LINES),
        ("FREQ=DAILY\nRDATE:20260304T140000Z", recurrence.RULE_LINES),
        ("DTSTART:00010101T000000Z\nRRULE:FREQ=DAILY", recurrence.RULE_LINES),
        ("FREQ=DAILY\nEXRULE:FREQ=WEEKLY", recurrence.RULE_LINES),
        ("EXDATE:20260304T140000Z", recurrence.RULE_LINES),
        ("", recurrence.RULE_LINES),
        ("FREQ=DAILY\nEXDATE:" + ",".join(["20260304T140000Z"] * 60), recurrence.RULE_LENGTH),
    ],
)
def test_a_rule_beyond_the_limits_is_refused_with_its_reason(rule, message):
    with pytest.raises(recurrence.RuleRefused) as refused:
        series_end_ms(rule, START, 1800_000, zone_name=NY)

    assert str(refused.value) == message


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SOMETIMES",
        "FREQ=DAILY;UNTIL=20260306",  # UNTIL must be UTC with a zoned start
        "FREQ=DAILY\nEXDATE;VALUE=DATE:20260304",  # a date, no time: cannot be compared
        "FREQ=DAILY;BYSETPOS=400",
        "FREQ=DAILY;WKST=XX",
        "FREQ=DAILY;X-SOMETHING=1",
        "FREQ=DAILY\nEXDATE;TZID=posix/UTC:20260303T090000",  # IANA names only, as for locations
        "FREQ=DAILY\nEXDATE;TZID=Nowhere/Else:20260303T090000",
    ],
)
def test_a_rule_that_is_not_rfc_5545_is_a_value_error(rule):
    with pytest.raises(ValueError) as invalid:
        series_end_ms(rule, START, 1800_000, zone_name=NY)

    assert not isinstance(invalid.value, recurrence.RuleRefused)


@pytest.mark.parametrize(
    ("rule", "end"),
    [
        ("FREQ=DAILY", None),
        ("FREQ=DAILY;COUNT=730", "2028-02-29T09:30:00-05:00"),
        ("FREQ=WEEKLY;COUNT=262", "2031-03-03T09:30:00-05:00"),  # 1,827 days after the start
        ("FREQ=YEARLY;COUNT=6", "2031-03-02T09:30:00-05:00"),
        ("FREQ=DAILY;UNTIL=20310303T140000Z", "2031-03-03T09:30:00-05:00"),
        ("FREQ=DAILY;COUNT=3\nEXDATE:20260304T140000Z", "2026-03-03T09:30:00-05:00"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", None),  # 2028-02-29 is within 5 years
        ("FREQ=MONTHLY;INTERVAL=100", None),  # one occurrence in 5 years is enough
        ("FREQ=DAILY\nEXDATE:" + ",".join(["20260304T140000Z"] * 57), None),  # 995 characters
    ],
)
def test_a_rule_within_the_limits_is_accepted(rule, end):
    assert series_end_ms(rule, START, 1800_000, zone_name=NY) == (None if end is None else ms(end))


def test_accepting_an_impossible_rule_looks_at_five_years_of_periods(monkeypatch):
    calls = count_period_work(monkeypatch)

    with pytest.raises(recurrence.RuleRefused):
        series_end_ms("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", START, 1800_000, zone_name=NY)

    # The start's day, the 1,827 days after it and one more for the zone's offset (the check
    # before walked every day to the year 9999).
    assert len(calls) == 1829


def test_a_stored_rule_this_version_refuses_expands_to_nothing():
    assert occurrence_starts("FREQ=HOURLY", START, NY, from_ms=START, to_ms=START + DAY_MS) == []
