"""Wire shapes of the admin API (ours, outside the HighLevel contract)."""

from typing import Annotated

from pydantic import Field, field_validator

from opencalendars.contacts.phones import is_dialling_country
from opencalendars.http.auth import ALL_SCOPES
from opencalendars.http.times import Instant, iso_utc_ms
from opencalendars.http.validation import RequestDTO
from opencalendars.zones import is_known_zone

NonEmpty = Annotated[str, Field(min_length=1, max_length=255)]


def known_zone(value: str | None) -> str | None:
    if value is not None and not is_known_zone(value):
        raise ValueError("must be a valid IANA time zone")
    return value


def dialling_country(value: str | None) -> str | None:
    """The country phone numbers without `+` are read in: ISO 3166-1 alpha-2, any case."""
    if value is None:
        return None
    if not is_dialling_country(value.upper()):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code (US, DE...)")
    return value.upper()


class LocationSettingsDTO(RequestDTO):
    """What a location decides about its contacts (docs/contacts.md)."""

    requireContacts: bool | None = None
    country: str | None = None
    allowDuplicateContacts: bool | None = None

    _country = field_validator("country")(dialling_country)


class LocationCreateDTO(LocationSettingsDTO):
    name: NonEmpty
    timezone: str = "UTC"
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    # The company (agency) that owns it (docs/marketplace.md).
    companyId: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    _zone = field_validator("timezone")(known_zone)


class LocationUpdateDTO(LocationSettingsDTO):
    """Partial: what is left out is kept; `"country": null` returns to the US. The zone is not
    changed here: availability schedules and stored local days were written in it."""

    name: NonEmpty | None = None


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
    return {
        "id": location.id,
        "name": location.name,
        "timezone": location.timezone,
        "requireContacts": location.require_contacts,
        "country": location.country,
        "allowDuplicateContacts": location.allow_duplicate_contacts,
        "companyId": location.company_id,
    }


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
