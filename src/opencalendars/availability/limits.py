"""Minimum notice and booking window (PRODUCT §4.1), as instants.

Minutes and hours are exact durations. Days, weeks and months are calendar steps on the
location's wall clock (a day across a DST change is 23 or 25 hours long), the way people count
them ("book at least 2 days ahead", "up to 3 months ahead").
"""

from datetime import UTC, datetime, time

from dateutil.relativedelta import relativedelta

from opencalendars.units import to_ms
from opencalendars.zones import zone as load_zone

# Units of a fixed length; days and longer are counted in local dates.
EXACT_UNITS = ("mins", "hours")
CALENDAR_UNITS = {
    "days": lambda n: relativedelta(days=n),
    "weeks": lambda n: relativedelta(weeks=n),
    "months": lambda n: relativedelta(months=n),
}


def _wall_clock(epoch_ms: int, zone_name: str) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).astimezone(load_zone(zone_name))


def _to_ms(local: datetime, zone_name: str) -> int:
    # Re-attach the zone so that a wall time shifted across a DST change gets its own offset.
    naive = local.replace(tzinfo=None)
    return int(naive.replace(tzinfo=load_zone(zone_name), fold=0).timestamp() * 1000)


def add_amount(epoch_ms: int, amount: float, unit: str, *, zone_name: str) -> int:
    if unit in EXACT_UNITS:
        return epoch_ms + to_ms(amount, unit)
    local = _wall_clock(epoch_ms, zone_name) + CALENDAR_UNITS[unit](int(amount))
    return _to_ms(local, zone_name)


def earliest_start_ms(now_ms: int, notice: float, unit: str, *, zone_name: str) -> int:
    """Starts before `now + minimum notice` are not offered (and never before now)."""
    return max(now_ms, add_amount(now_ms, notice, unit, zone_name=zone_name)) if notice else now_ms


def window_end_ms(now_ms: int, window: float, unit: str, *, zone_name: str) -> int | None:
    """Starts must be before the start of today (location time) + the window; 0 = no limit."""
    if not window:
        return None
    today = _wall_clock(now_ms, zone_name).date()
    midnight = datetime.combine(today, time(0), tzinfo=load_zone(zone_name))
    return _to_ms(midnight + CALENDAR_UNITS[unit](int(window)), zone_name)
