"""A calendar's rules as the engine's slot rules (PRODUCT §4.1, §4.4)."""

from opencalendars.availability.engine import SlotRules, local_day_span
from opencalendars.availability.limits import earliest_start_ms, window_end_ms
from opencalendars.availability.resolver import local_date
from opencalendars.calendars.rules import CalendarRules


def busy_range(
    calendar: CalendarRules, *, zone: str, first_start_ms: int, last_start_ms: int, last_end_ms: int
) -> tuple[int, int]:
    """Where the busy items lie that can decide candidates starting from first_start_ms to
    last_start_ms and ending by last_end_ms (PRODUCT §4.3): the candidates' spans with this
    calendar's buffers, widened again by the longest buffer of the location's calendars (an
    appointment's span carries its own calendar's buffers: `location_buffer_reach_ms`) and,
    under appoinmentPerDay, the whole local dates (`zone`) the candidates start on. A booking
    whose location keeps 15 minutes around appointments reads an hour or so of its team's time,
    not a week."""
    reach = calendar.location_buffer_reach_ms
    low = first_start_ms - calendar.pre_buffer_ms - reach
    high = last_end_ms + calendar.post_buffer_ms + reach
    if calendar.per_day:
        low = min(low, local_day_span(local_date(first_start_ms, zone), zone)[0])
        high = max(high, local_day_span(local_date(last_start_ms, zone), zone)[1])
    return low, high


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
