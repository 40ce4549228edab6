"""Wire shapes of calendar resources, named after the spec's DTOs."""

from typing import Annotated, Literal

from pydantic import Field

from opencalendars.http.validation import RequestDTO
from opencalendars.resources.models import CalendarResource

ResourceType = Literal["equipments", "rooms"]
NonEmpty = Annotated[str, Field(min_length=1)]
Units = Annotated[int, Field(ge=0, le=100_000)]
CalendarIds = Annotated[list[NonEmpty], Field(max_length=100)]


class CreateCalendarResourceDTO(RequestDTO):
    locationId: NonEmpty
    name: NonEmpty
    # The spec lists `description` as required without defining it: optional text here.
    description: str = ""
    quantity: Units | None = None
    outOfService: Units | None = None
    capacity: Units | None = None
    calendarIds: CalendarIds = []
    isActive: bool = True


class UpdateCalendarResourceDTO(RequestDTO):
    locationId: NonEmpty | None = None
    name: NonEmpty | None = None
    description: str | None = None
    quantity: Units | None = None
    outOfService: Units | None = None
    capacity: Units | None = None
    calendarIds: CalendarIds | None = None
    isActive: bool | None = None


def resource_dto(resource: CalendarResource) -> dict:
    """CalendarResourceByIdResponseDTO, with the `id` clients need (PRODUCT §6)."""
    answer = {
        "id": resource.id,
        "locationId": resource.location_id,
        "name": resource.name,
        "description": resource.description,
        "resourceType": resource.resource_type,
        "isActive": resource.is_active,
    }
    if resource.resource_type == "equipments":
        answer["quantity"] = resource.quantity
        answer["outOfService"] = resource.out_of_service
    else:
        answer["capacity"] = resource.capacity
    answer["calendarIds"] = list(resource.calendar_ids)
    return answer
