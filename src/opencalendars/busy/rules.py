"""A calendar's rules as the engine's slot rules (PRODUCT §4.1, §4.4)."""

from opencalendars.availability.engine import SlotRules
from opencalendars.availability.limits import earliest_start_ms, window_end_ms
from opencalendars.calendars.rules import CalendarRules
from opencalendars.units import DAY_MS

# Busy items are read this far around the range: whole local days for appoinmentPerDay,
# and the buffers of neighbouring appointments.
BUSY_MARGIN_MS = 2 * DAY_MS


def slot_rules(
    calendar: CalendarRules,
    *,
    now_ms: int,
    location_zone: str,
    start_ms: int,
    end_ms: int,
    ignore_date_range: bool = False,
) -> SlotRules:
    """The calendar's rules for the engine, limited to starts in [start_ms, end_ms).
    `ignore_date_range` drops minimum notice and the booking window (not "never before now")."""
    earliest = earliest_start_ms(
        now_ms,
        calendar.allow_booking_after,
        calendar.allow_booking_after_unit,
        zone_name=location_zone,
    )
    latest = window_end_ms(
        now_ms, calendar.allow_booking_for, calendar.allow_booking_for_unit, zone_name=location_zone
    )
    return SlotRules(
        duration_ms=calendar.slot_duration_ms,
        interval_ms=calendar.slot_interval_ms,
        pre_buffer_ms=calendar.pre_buffer_ms,
        post_buffer_ms=calendar.post_buffer_ms,
        per_slot=calendar.per_slot,
        per_day=calendar.per_day,
        earliest_ms=max(now_ms if ignore_date_range else earliest, start_ms),
        latest_ms=end_ms if latest is None or ignore_date_range else min(latest, end_ms),
        is_class=calendar.calendar_type == "class_booking",
        day_zone=location_zone,
    )
