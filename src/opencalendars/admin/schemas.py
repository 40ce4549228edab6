"""Wire shapes of the admin API (ours, outside the HighLevel contract)."""

from typing import Annotated

from pydantic import Field, field_validator

from opencalendars.http.auth import ALL_SCOPES
from opencalendars.http.times import Instant, iso_utc_ms
from opencalendars.http.validation import RequestDTO
from opencalendars.zones import is_known_zone

NonEmpty = Annotated[str, Field(min_length=1, max_length=255)]


class LocationCreateDTO(RequestDTO):
    name: NonEmpty
    timezone: str = "UTC"
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        if not is_known_zone(value):
            raise ValueError("must be a valid IANA time zone")
        return value


class TokenCreateDTO(RequestDTO):
    locationId: NonEmpty
    scopes: list[str] | None = None
    name: Annotated[str, Field(max_length=255)] = ""

    @field_validator("scopes")
    @classmethod
    def known_scopes(cls, value: list[str] | None) -> list[str] | None:
        unknown = [scope for scope in value or [] if scope not in ALL_SCOPES]
        if unknown:
            raise ValueError(f"must only contain {', '.join(ALL_SCOPES)}")
        return value


class ClockSetDTO(RequestDTO):
    now: Instant


def location_dto(location) -> dict:
    return {"id": location.id, "name": location.name, "timezone": location.timezone}


def token_dto(token) -> dict:
    return {
        "id": token.id,
        "locationId": token.location_id,
        "name": token.name,
        "scopes": list(token.scopes),
        "dateAdded": iso_utc_ms(token.date_added_ms),
        "revoked": token.revoked_ms is not None,
    }


def clock_dto(now_ms: int, frozen: bool) -> dict:
    return {"now": iso_utc_ms(now_ms), "nowMs": now_ms, "frozen": frozen}
