"""`GET /calendars/{calendarId}/free-slots`."""

import time
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencalendars.availability.resolver import local_instant_ms
from opencalendars.errors import BadRequest
from opencalendars.http.auth import Caller, authorize
from opencalendars.http.json import JsonResponse
from opencalendars.http.times import checked_day, checked_epoch_ms, epoch_ms_text
from opencalendars.metrics import FREE_SLOTS_SECONDS
from opencalendars.slots import service
from opencalendars.zones import is_known_zone

router = APIRouter(prefix="/calendars", tags=["Calendars"])

MAX_RANGE_MS = 31 * 86_400_000


def range_bound(field: str, value: str, zone: str, *, is_end: bool) -> int:
    """Epoch ms (the end inclusive), or `YYYY-MM-DD`: that whole local date in `zone`."""
    text = value.strip()
    epoch_ms = epoch_ms_text(text)
    if epoch_ms is not None:
        return checked_epoch_ms(field, epoch_ms) + (1 if is_end else 0)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest([f"{field} must be epoch milliseconds or a date YYYY-MM-DD"]) from None
    day = checked_day(field, day)
    return local_instant_ms(day + timedelta(days=1) if is_end else day, 0, zone)


def split_user_ids(user_id: str | None, user_ids: list[str] | None) -> list[str]:
    """`userId`, and `userIds` repeated or comma-separated, in order, once each."""
    given = [user_id] if user_id else []
    for item in user_ids or []:
        given += [part.strip() for part in item.split(",") if part.strip()]
    return list(dict.fromkeys(given))


@router.get("/{calendarId}/free-slots")
async def get_slots(
    request: Request,
    *,
    calendarId: str,
    caller: Annotated[Caller, authorize("calendars.readonly")],
    startDate: Annotated[str, Query(min_length=1)],
    endDate: Annotated[str, Query(min_length=1)],
    timezone: Annotated[str | None, Query()] = None,
    userId: Annotated[str | None, Query()] = None,
    userIds: Annotated[list[str] | None, Query()] = None,
    enableLookBusy: Annotated[bool, Query()] = True,
):
    zone = timezone or caller.timezone
    if not is_known_zone(zone):
        raise BadRequest(["timezone must be a valid IANA time zone"])
    start_ms = range_bound("startDate", startDate, zone, is_end=False)
    end_ms = range_bound("endDate", endDate, zone, is_end=True)
    if end_ms <= start_ms:
        raise BadRequest(["endDate must not be before startDate"])
    if end_ms - start_ms > MAX_RANGE_MS:
        raise BadRequest(["The date range cannot be more than 31 days"])
    query = service.FreeSlotsQuery(
        start_ms=start_ms,
        end_ms=end_ms,
        timezone=zone,
        user_ids=split_user_ids(userId, userIds),
        enable_look_busy=enableLookBusy,
    )
    started = time.perf_counter()
    slots = await service.answer_free_slots(
        request.app.state.db, caller.context, calendar_id=calendarId, query=query
    )
    FREE_SLOTS_SECONDS.observe(time.perf_counter() - started)
    return JsonResponse(slots)
