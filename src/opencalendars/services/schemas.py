"""Wire shapes of Services V2, named after the spec's DTOs."""

from typing import Annotated, Literal

from pydantic import Field

from opencalendars.http.validation import RequestDTO
from opencalendars.services.models import ServiceLocation
from opencalendars.slugs import SLUG_PATTERN

NonEmpty = Annotated[str, Field(min_length=1)]
Slug = Annotated[str, Field(min_length=1, max_length=255, pattern=SLUG_PATTERN)]
LocationType = Literal["offline", "ask_booker"]


class CreateServiceLocationDTO(RequestDTO):
    locationId: NonEmpty
    name: NonEmpty
    slug: Slug
    phone: str | None = None
    address: str | None = None
    coverImage: str | None = None
    locationType: LocationType | None = None


class UpdateServiceLocationDTO(RequestDTO):
    name: NonEmpty | None = None
    slug: Slug | None = None
    phone: str | None = None
    address: str | None = None
    coverImage: str | None = None
    locationType: LocationType | None = None


def service_location_dto(place: ServiceLocation) -> dict:
    """ServiceLocationResponseDTO, plus `isDefault`."""
    answer = {
        "id": place.id,
        "locationId": place.location_id,
        "name": place.name,
        "slug": place.slug,
        "isActive": True,
        "isPrivate": False,
        "locationType": place.location_type,
        "isDefault": place.is_default,
    }
    for key, value in (
        ("address", place.address),
        ("phone", place.phone),
        ("coverImage", place.cover_image),
    ):
        if value is not None:
            answer[key] = value
    return answer
