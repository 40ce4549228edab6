"""Where a booking's and a free-slots request's busy items lie (busy.rules.busy_range): the
candidates' spans with this calendar's buffers, the location's longest buffer around them, and
the whole local dates they start on under appoinmentPerDay."""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from opencalendars.busy.rules import busy_range
from opencalendars.calendars.rules import CalendarRules

MINUTE = 60_000
HOUR = 60 * MINUTE
ZONE = "America/New_York"


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONE)).timestamp() * 1000)


def calendar(reach_ms: int, **settings) -> CalendarRules:
    row = SimpleNamespace(
        id="c",
        location_id="l",
        name="c",
        calendar_type="personal",
        is_active=True,
        group_id=None,
        settings={"teamMembers": [{"userId": "ann"}], **settings},
    )
    return CalendarRules.of(row, location_buffer_reach_ms=reach_ms)


def booking_range(rules: CalendarRules, start: str) -> tuple[int, int]:
    start_ms = ms(start)
    return busy_range(
        rules,
        zone=ZONE,
        first_start_ms=start_ms,
        last_start_ms=start_ms,
        last_end_ms=start_ms + rules.slot_duration_ms,
    )


def test_a_booking_reads_its_slot_with_its_buffers_and_the_locations_longest_around():
    rules = calendar(20 * MINUTE, preBuffer=10, slotBuffer=5)

    low, high = booking_range(rules, "2026-03-02T10:00")

    assert low == ms("2026-03-02T10:00") - 10 * MINUTE - 20 * MINUTE
    assert high == ms("2026-03-02T10:30") + 5 * MINUTE + 20 * MINUTE


def test_a_location_without_buffers_reads_the_slot_alone():
    assert booking_range(calendar(0), "2026-03-02T10:00") == (
        ms("2026-03-02T10:00"),
        ms("2026-03-02T10:30"),
    )


def test_appointments_per_day_read_the_whole_local_date_across_a_clock_change():
    # 2026-03-08 in New York is 23 hours long (spring forward).
    low, high = booking_range(calendar(15 * MINUTE, appoinmentPerDay=2), "2026-03-08T12:00")

    assert (low, high) == (ms("2026-03-08T00:00"), ms("2026-03-09T00:00"))
    assert high - low == 23 * HOUR


def test_a_long_buffer_of_the_location_reaches_past_the_local_date():
    low, high = booking_range(calendar(24 * HOUR, appoinmentPerDay=2), "2026-03-02T10:00")

    assert (low, high) == (ms("2026-03-01T10:00"), ms("2026-03-03T10:30"))
