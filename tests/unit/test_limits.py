"""Minimum notice and booking window as instants, in every unit (PRODUCT §4.1)."""

from datetime import datetime

import pytest

from opencalendars.availability.limits import earliest_start_ms, window_end_ms


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


NOW = ms("2026-03-07T15:20:00-05:00")  # a Saturday afternoon in New York, before the DST change


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (0, "mins", "2026-03-07T15:20:00-05:00"),
        (90, "mins", "2026-03-07T16:50:00-05:00"),
        (2, "hours", "2026-03-07T17:20:00-05:00"),
        # Calendar days on the wall clock: across the spring-forward night, 23 real hours.
        (1, "days", "2026-03-08T15:20:00-04:00"),
        (1, "weeks", "2026-03-14T15:20:00-04:00"),
        (1, "months", "2026-04-07T15:20:00-04:00"),
    ],
)
def test_minimum_notice(amount, unit, expected):
    assert earliest_start_ms(NOW, amount, unit, zone_name="America/New_York") == ms(expected)


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (0, "days", None),
        (1, "days", "2026-03-08T00:00:00-05:00"),
        (3, "days", "2026-03-10T00:00:00-04:00"),
        (2, "weeks", "2026-03-21T00:00:00-04:00"),
        (1, "months", "2026-04-07T00:00:00-04:00"),
    ],
)
def test_booking_window_counts_from_the_start_of_today(amount, unit, expected):
    end = window_end_ms(NOW, amount, unit, zone_name="America/New_York")

    assert end == (None if expected is None else ms(expected))


def test_today_is_the_locations_today():
    # 02:00 UTC on the 8th is still the 7th in New York.
    now = ms("2026-03-08T02:00:00+00:00")

    assert window_end_ms(now, 1, "days", zone_name="America/New_York") == ms(
        "2026-03-08T00:00:00-05:00"
    )
    assert window_end_ms(now, 1, "days", zone_name="UTC") == ms("2026-03-09T00:00:00+00:00")
