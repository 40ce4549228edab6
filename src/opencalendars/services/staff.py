"""Is a staff member free to give a service? Their hours and busy time, through the engine.

A staff member's hours are their Services V2 schedule (PRODUCT §4.2). Their busy time is the
same picture every calendar sees (`slots.service.people_busy`): occupying appointments of every
calendar (widened by that calendar's buffers), their other service bookings (widened by those
services' buffers) and their blocked slots. The candidate is widened by this service's buffers.
"""

from sqlalchemy.orm import Session

from opencalendars.availability.engine import Person, SlotRules, free_slots
from opencalendars.availability.resolver import open_windows
from opencalendars.http.times import MIN_EPOCH_MS
from opencalendars.schedules.service import load_staff_availability
from opencalendars.slots.service import BUSY_MARGIN_MS, DAY_MS, people_busy


def free_staff(
    session: Session,
    location_id: str,
    location_zone: str,
    candidates: list[str],
    start_ms: int,
    end_ms: int,
    pre_buffer_ms: int,
    post_buffer_ms: int,
    exclude_booking_id: str = "",
) -> list[str]:
    """The candidates, in order, who can give a service over [start_ms, end_ms): within one of
    their open windows, and with nothing busy in the span widened by the service's buffers."""
    hours = load_staff_availability(session, location_id, candidates)
    busy = people_busy(
        session,
        location_id,
        location_zone,
        candidates,
        start_ms - BUSY_MARGIN_MS,
        end_ms + BUSY_MARGIN_MS,
        exclude_booking_id=exclude_booking_id,
    ).blocking
    persons = []
    for user in candidates:
        if user not in hours:
            continue
        windows = open_windows(hours[user], start_ms - DAY_MS, end_ms + DAY_MS)
        if any(open_ <= start_ms and end_ms <= close for open_, close in windows):
            # Only this start is asked about: the engine checks the span against busy time.
            persons.append(Person(key=user, windows=[(start_ms, end_ms)], blocking=busy[user]))
    length = end_ms - start_ms
    rules = SlotRules(
        duration_ms=length,
        interval_ms=length,
        pre_buffer_ms=pre_buffer_ms,
        post_buffer_ms=post_buffer_ms,
        # Notice is checked by the caller (it may be skipped); here only the time matters.
        earliest_ms=MIN_EPOCH_MS,
    )
    offered = free_slots(persons, rules).by_person
    return [user for user in candidates if start_ms in offered.get(user, ())]
