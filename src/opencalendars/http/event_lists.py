"""The query both event lists take (`GET /calendars/events`, `GET /calendars/blocked-slots`):
a location, a range in epoch ms, and at least one of calendarId, userId, groupId (PRODUCT §5).

Both lists are bounded (issue 19): the range is at most `MAX_RANGE_DAYS` long, and an answer
holds at most `MAX_EVENTS` events; a range that holds more is a 400, found without building
more than `MAX_EVENTS + 1` of them."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

from opencalendars.errors import BadRequest
from opencalendars.http.times import query_epoch_ms

MAX_RANGE_DAYS = 366
MAX_RANGE_MS = MAX_RANGE_DAYS * 86_400_000
MAX_EVENTS = 5000
TOO_MANY = f"the range holds more than {MAX_EVENTS} events; ask for a shorter range"


@dataclass(frozen=True)
class EventListQuery:
    location_id: str
    start_ms: int
    end_ms: int
    calendar_id: str | None
    user_id: str | None
    group_id: str | None


def event_list_query(
    locationId: Annotated[str, Query(min_length=1)],
    startTime: Annotated[str, Query(min_length=1)],
    endTime: Annotated[str, Query(min_length=1)],
    *,
    calendarId: Annotated[str | None, Query()] = None,
    userId: Annotated[str | None, Query()] = None,
    groupId: Annotated[str | None, Query()] = None,
) -> EventListQuery:
    """A dependency: declare it after `authorize`, so that auth is checked first."""
    start_ms = query_epoch_ms("startTime", startTime)
    end_ms = query_epoch_ms("endTime", endTime)
    if calendarId is None and userId is None and groupId is None:
        raise BadRequest(["one of calendarId, userId or groupId is required"])
    if end_ms <= start_ms:
        raise BadRequest(["endTime must be after startTime"])
    if end_ms - start_ms > MAX_RANGE_MS:
        raise BadRequest(
            [f"the range from startTime to endTime must be at most {MAX_RANGE_DAYS} days"]
        )
    return EventListQuery(locationId, start_ms, end_ms, calendarId, userId, groupId)


def check_count(count: int) -> None:
    """400 when an answer would hold more than `MAX_EVENTS` events."""
    if count > MAX_EVENTS:
        raise BadRequest([TOO_MANY])
