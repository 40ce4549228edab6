"""Wire shapes of calendar groups, named after the spec's DTOs."""

from typing import Annotated

from pydantic import Field

from opencalendars.groups.models import CalendarGroup
from opencalendars.http.validation import RequestDTO
from opencalendars.slugs import SLUG_PATTERN

NonEmpty = Annotated[str, Field(min_length=1)]
Slug = Annotated[str, Field(min_length=1, max_length=255, pattern=SLUG_PATTERN)]


class GroupCreateDTO(RequestDTO):
    locationId: NonEmpty
    name: NonEmpty
    description: str
    slug: Slug
    isActive: bool = True


class GroupUpdateDTO(RequestDTO):
    name: NonEmpty
    description: str
    slug: Slug


class ValidateGroupSlugPostBody(RequestDTO):
    locationId: NonEmpty
    slug: NonEmpty


class GroupStatusUpdateParams(RequestDTO):
    isActive: bool


def group_dto(group: CalendarGroup) -> dict:
    return {
        "locationId": group.location_id,
        "name": group.name,
        "description": group.description,
        "slug": group.slug,
        "isActive": group.is_active,
        "id": group.id,
    }
