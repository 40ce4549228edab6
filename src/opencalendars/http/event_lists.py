"""The query both event lists take (`GET /calendars/events`, `GET /calendars/blocked-slots`):
a location, a range in epoch ms, and at least one of calendarId, userId, groupId (PRODUCT §5)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

from opencalendars.http.errors import BadRequest
from opencalendars.http.times import query_epoch_ms


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
    calendarId: Annotated[str | None, Query()] = None,
    userId: Annotated[str | None, Query()] = None,
    groupId: Annotated[str | None, Query()] = None,
) -> EventListQuery:
    """A dependency: declare it after `authorize`, so that auth is checked first."""
    start_ms = query_epoch_ms("startTime", startTime)
    end_ms = query_epoch_ms("endTime", endTime)
    if calendarId is None and userId is None and groupId is None:
        raise BadRequest(["one of calendarId, userId or groupId is required"])
    return EventListQuery(locationId, start_ms, end_ms, calendarId, userId, groupId)
