"""The resolver: which availability applies, and its windows as exact UTC instants."""

from datetime import UTC, datetime

from opencalendars.availability.resolver import (
    availability_for_member,
    calendar_availability,
    merge_windows,
    open_windows,
)
from opencalendars.availability.sources import from_open_hours, from_schedule_rules


def ms(text: str) -> int:
    """An ISO time with an explicit offset, as epoch milliseconds."""
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def windows(availability, start: str, end: str) -> list[tuple[str, str]]:
    """Windows rendered back in UTC, to compare against literal instants."""
    found = open_windows(availability, ms(start), ms(end))
    return [(iso(s), iso(e)) for s, e in found]


def iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M%z")


def utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M%z")


def wday(day, *intervals):
    return {"type": "wday", "day": day, "intervals": [{"from": f, "to": t} for f, t in intervals]}


def on_date(day, *intervals):
    return {"type": "date", "date": day, "intervals": [{"from": f, "to": t} for f, t in intervals]}


def hour(open_at, close_at):
    oh, om = open_at
    ch, cm = close_at
    return {"openHour": oh, "openMinute": om, "closeHour": ch, "closeMinute": cm}


WORK_WEEK = [
    wday(d, ("09:00", "17:00")) for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
]


def test_weekday_rules_in_new_york_winter():
    availability = from_schedule_rules(WORK_WEEK, "America/New_York")

    found = windows(availability, "2024-01-08T00:00:00-05:00", "2024-01-14T23:59:00-05:00")

    assert found == [
        (utc(f"2024-01-{d:02d}T09:00:00-05:00"), utc(f"2024-01-{d:02d}T17:00:00-05:00"))
        for d in range(8, 13)
    ]


def test_a_date_rule_replaces_its_weekday_and_an_empty_one_closes_the_date():
    rules = [
        *WORK_WEEK,
        on_date("2024-01-09", ("12:00", "13:00")),
        on_date("2024-01-10"),
        on_date("2024-01-13", ("10:00", "11:00")),
    ]
    availability = from_schedule_rules(rules, "UTC")

    found = windows(availability, "2024-01-08T00:00:00+00:00", "2024-01-14T00:00:00+00:00")

    assert found == [
        (utc("2024-01-08T09:00:00+00:00"), utc("2024-01-08T17:00:00+00:00")),
        (utc("2024-01-09T12:00:00+00:00"), utc("2024-01-09T13:00:00+00:00")),
        (utc("2024-01-11T09:00:00+00:00"), utc("2024-01-11T17:00:00+00:00")),
        (utc("2024-01-12T09:00:00+00:00"), utc("2024-01-12T17:00:00+00:00")),
        (utc("2024-01-13T10:00:00+00:00"), utc("2024-01-13T11:00:00+00:00")),
    ]


def test_legacy_open_hours_count_days_from_sunday_and_dates_override():
    availability = from_open_hours(
        [
            {"daysOfTheWeek": [0], "hours": [hour((10, 0), (12, 30))]},
            {"daysOfTheWeek": [1, 2], "hours": [hour((9, 0), (12, 0)), hour((13, 0), (17, 0))]},
            {"daysOfTheWeek": [6], "hours": [hour((22, 0), (0, 0))]},
        ],
        [
            {"date": "2024-01-09T00:00:00.000Z", "hours": [], "deleted": False},
            {"date": "2024-01-14T00:00:00.000Z", "hours": [hour((8, 0), (9, 0))], "deleted": True},
        ],
        "Europe/Paris",
    )

    found = windows(availability, "2024-01-08T00:00:00+01:00", "2024-01-15T00:00:00+01:00")

    assert found == [
        (utc("2024-01-08T09:00:00+01:00"), utc("2024-01-08T12:00:00+01:00")),
        (utc("2024-01-08T13:00:00+01:00"), utc("2024-01-08T17:00:00+01:00")),
        # Tuesday the 9th is closed by its date availability.
        (utc("2024-01-13T22:00:00+01:00"), utc("2024-01-14T00:00:00+01:00")),
        # A deleted date availability changes nothing: Sunday keeps its hours.
        (utc("2024-01-14T10:00:00+01:00"), utc("2024-01-14T12:30:00+01:00")),
    ]


def test_a_member_schedule_wins_over_the_calendar_and_an_event_schedule_over_open_hours():
    legacy = from_open_hours([{"daysOfTheWeek": [1], "hours": [hour((8, 0), (9, 0))]}], [], "UTC")
    event = from_schedule_rules([wday("monday", ("10:00", "11:00"))], "UTC")
    own = from_schedule_rules([wday("monday", ("14:00", "15:00"))], "UTC")
    monday = ("2024-01-08T00:00:00+00:00", "2024-01-09T00:00:00+00:00")

    with_event = calendar_availability(event, legacy)
    without_event = calendar_availability(None, legacy)

    assert windows(availability_for_member("u1", {"u1": own}, with_event), *monday) == [
        (utc("2024-01-08T14:00:00+00:00"), utc("2024-01-08T15:00:00+00:00"))
    ]
    assert windows(availability_for_member("u2", {"u1": own}, with_event), *monday) == [
        (utc("2024-01-08T10:00:00+00:00"), utc("2024-01-08T11:00:00+00:00"))
    ]
    assert windows(availability_for_member("u2", {"u1": own}, without_event), *monday) == [
        (utc("2024-01-08T08:00:00+00:00"), utc("2024-01-08T09:00:00+00:00"))
    ]


def test_new_york_spring_forward():
    rules = [
        wday("sunday", ("01:00", "04:00")),
        on_date("2024-03-17", ("02:00", "03:00")),
        wday("monday", ("09:00", "17:00")),
        wday("friday", ("09:00", "17:00")),
    ]
    availability = from_schedule_rules(rules, "America/New_York")

    found = windows(availability, "2024-03-08T00:00:00-05:00", "2024-03-18T23:00:00-04:00")

    assert found == [
        (utc("2024-03-08T09:00:00-05:00"), utc("2024-03-08T17:00:00-05:00")),
        # 01:00 EST to 04:00 EDT: two real hours.
        (utc("2024-03-10T01:00:00-05:00"), utc("2024-03-10T04:00:00-04:00")),
        (utc("2024-03-11T09:00:00-04:00"), utc("2024-03-11T17:00:00-04:00")),
        (utc("2024-03-15T09:00:00-04:00"), utc("2024-03-15T17:00:00-04:00")),
        # 2024-03-17 is an ordinary day: 02:00-03:00 exists again.
        (utc("2024-03-17T02:00:00-04:00"), utc("2024-03-17T03:00:00-04:00")),
        (utc("2024-03-18T09:00:00-04:00"), utc("2024-03-18T17:00:00-04:00")),
    ]


def test_new_york_a_nonexistent_start_moves_forward_by_the_gap():
    availability = from_schedule_rules([wday("sunday", ("02:30", "05:00"))], "America/New_York")

    found = windows(availability, "2024-03-10T00:00:00-05:00", "2024-03-10T23:00:00-04:00")

    # 02:30 does not exist that night: it becomes 03:30 EDT.
    assert found == [(utc("2024-03-10T03:30:00-04:00"), utc("2024-03-10T05:00:00-04:00"))]


def test_an_interval_wholly_inside_the_gap_opens_nothing():
    availability = from_schedule_rules([wday("sunday", ("02:00", "03:00"))], "America/New_York")

    assert windows(availability, "2024-03-10T00:00:00-05:00", "2024-03-10T23:00:00-04:00") == []


def test_new_york_fall_back():
    rules = [wday("sunday", ("01:30", "03:00")), wday("saturday", ("09:00", "10:00"))]
    availability = from_schedule_rules(rules, "America/New_York")

    found = windows(availability, "2024-11-02T00:00:00-04:00", "2024-11-03T23:00:00-05:00")

    assert found == [
        (utc("2024-11-02T09:00:00-04:00"), utc("2024-11-02T10:00:00-04:00")),
        # 01:30 happens twice: the first (EDT) is taken; 03:00 is EST. 2.5 real hours.
        (utc("2024-11-03T01:30:00-04:00"), utc("2024-11-03T03:00:00-05:00")),
    ]


def test_london_both_changes():
    rules = [wday("sunday", ("00:30", "02:30"))]
    availability = from_schedule_rules(rules, "Europe/London")

    march = windows(availability, "2024-03-31T00:00:00+00:00", "2024-03-31T12:00:00+01:00")
    october = windows(availability, "2024-10-27T00:00:00+01:00", "2024-10-27T12:00:00+00:00")

    assert march == [(utc("2024-03-31T00:30:00+00:00"), utc("2024-03-31T02:30:00+01:00"))]
    assert october == [(utc("2024-10-27T00:30:00+01:00"), utc("2024-10-27T02:30:00+00:00"))]


def test_kolkata_half_hour_offset():
    availability = from_schedule_rules(WORK_WEEK, "Asia/Kolkata")

    found = windows(availability, "2024-07-01T00:00:00+05:30", "2024-07-01T23:59:00+05:30")

    assert found == [(utc("2024-07-01T09:00:00+05:30"), utc("2024-07-01T17:00:00+05:30"))]
    assert found == [(utc("2024-07-01T03:30:00+00:00"), utc("2024-07-01T11:30:00+00:00"))]


def test_lord_howe_thirty_minute_daylight_saving():
    rules = [wday("sunday", ("01:00", "03:00")), on_date("2024-10-06", ("02:15", "03:00"))]
    availability = from_schedule_rules(rules, "Australia/Lord_Howe")

    april = windows(availability, "2024-04-07T00:00:00+11:00", "2024-04-07T12:00:00+10:30")
    october = windows(availability, "2024-10-06T00:00:00+10:30", "2024-10-06T12:00:00+11:00")

    # April: clocks go back 30 minutes at 02:00; 01:00 is before, 03:00 after: 2.5 real hours.
    assert april == [(utc("2024-04-07T01:00:00+11:00"), utc("2024-04-07T03:00:00+10:30"))]
    # October: 02:00-02:30 does not exist; 02:15 moves forward by the 30-minute gap.
    assert october == [(utc("2024-10-06T02:45:00+11:00"), utc("2024-10-06T03:00:00+11:00"))]


def test_windows_touching_across_midnight_merge():
    rules = [
        wday("monday", ("22:00", "24:00")),
        wday("tuesday", ("00:00", "02:00"), ("02:00", "03:00")),
    ]
    availability = from_schedule_rules(rules, "UTC")

    found = windows(availability, "2024-01-08T00:00:00+00:00", "2024-01-10T00:00:00+00:00")

    assert found == [(utc("2024-01-08T22:00:00+00:00"), utc("2024-01-09T03:00:00+00:00"))]


def test_only_windows_overlapping_the_range_are_returned_whole():
    availability = from_schedule_rules(WORK_WEEK, "UTC")

    found = windows(availability, "2024-01-09T12:00:00+00:00", "2024-01-10T09:00:00+00:00")

    assert found == [(utc("2024-01-09T09:00:00+00:00"), utc("2024-01-09T17:00:00+00:00"))]


def test_merge_windows():
    assert merge_windows([(5, 9), (1, 3), (3, 4), (8, 12), (20, 20), (15, 16)]) == [
        (1, 4),
        (5, 12),
        (15, 16),
    ]
