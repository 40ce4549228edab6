"""Wire shapes of blocked slots: `BlockSlotCreateRequestDTO`, `BlockSlotEditRequestDTO`, answers."""

from typing import Annotated

from pydantic import Field

from opencalendars.blocked_slots.models import BlockedSlot
from opencalendars.http.times import Instant, iso_local, iso_utc_ms
from opencalendars.http.validation import RequestDTO
from opencalendars.zones import zone

NonEmpty = Annotated[str, Field(min_length=1)]


class BlockSlotCreateRequestDTO(RequestDTO):
    # The spec marks calendarId required, but a user-level block has only assignedUserId:
    # exactly one of the two is required (PRODUCT §5), checked by the service.
    title: str = ""
    calendarId: NonEmpty | None = None
    assignedUserId: NonEmpty | None = None
    locationId: NonEmpty
    startTime: Instant
    endTime: Instant


class BlockSlotEditRequestDTO(RequestDTO):
    title: str | None = None
    calendarId: NonEmpty | None = None
    assignedUserId: NonEmpty | None = None
    locationId: NonEmpty
    startTime: Instant | None = None
    endTime: Instant | None = None


def blocked_slot_dto(block: BlockedSlot, timezone: str) -> dict:
    """BlockedSlotSuccessfulResponseDto."""
    answer = {
        "id": block.id,
        "locationId": block.location_id,
        "title": block.title,
        "startTime": iso_local(block.start_ms, zone(timezone)),
        "endTime": iso_local(block.end_ms, zone(timezone)),
    }
    if block.calendar_id is not None:
        answer["calendarId"] = block.calendar_id
    if block.assigned_user_id is not None:
        answer["assignedUserId"] = block.assigned_user_id
    return answer


def blocked_slot_event_dto(block: BlockedSlot, group_id: str | None, timezone: str) -> dict:
    """A blocked slot in CalendarEventDTO shape, as `GET /calendars/blocked-slots` lists it.
    The fields a block does not have (contact, status) are empty strings, as the DTO
    requires them."""
    return {
        "id": block.id,
        "title": block.title,
        "calendarId": block.calendar_id or "",
        "locationId": block.location_id,
        "contactId": "",
        "groupId": group_id or "",
        "appointmentStatus": "",
        "assignedUserId": block.assigned_user_id or "",
        "users": [],
        "deleted": False,
        "startTime": iso_local(block.start_ms, zone(timezone)),
        "endTime": iso_local(block.end_ms, zone(timezone)),
        "dateAdded": iso_utc_ms(block.date_added_ms),
        "dateUpdated": iso_utc_ms(block.date_updated_ms),
    }
