"""Wire shapes of contacts, named after the spec's DTOs (both editions: `v3` and `2021-07-28`).

Bodies are validated here (types, lengths, formats); what needs the location (a phone number
without `+` is read in its country) is checked by the service.
"""

import math
import re
from datetime import date
from typing import Annotated, Any, Literal

import orjson
from pydantic import Field, field_validator, model_validator

from opencalendars.contacts.models import Contact
from opencalendars.contacts.phones import MAX_INPUT
from opencalendars.http.times import iso_utc_ms
from opencalendars.http.validation import RequestDTO
from opencalendars.zones import is_known_zone

NonEmpty = Annotated[str, Field(min_length=1, max_length=255)]
# Every text field of a contact: names, address parts, company, source, ids of users.
Text = Annotated[str, Field(max_length=255)]
Website = Annotated[str, Field(max_length=2048)]
Message = Annotated[str, Field(max_length=1000)]

MAX_TAGS = 100
MAX_TAG_LENGTH = 255
MAX_CUSTOM_FIELDS = 100
# The JSON of one custom field's value.
MAX_CUSTOM_VALUE = 10_000

# An address as HTML's email fields accept it, with a top-level domain of letters (ASCII only).
EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MAX_EMAIL = 254
MAX_EMAIL_LOCAL = 64
COUNTRY = re.compile(r"[A-Za-z]{2}")
# The spec's date-of-birth formats: YYYY/MM/DD, MM/DD/YYYY, YYYY-MM-DD, MM-DD-YYYY, YYYY.MM.DD,
# MM.DD.YYYY, YYYY_MM_DD, MM_DD_YYYY; an ISO date-time (`1990-09-25T00:00:00.000Z`) is read by
# its date.
YEAR_FIRST = re.compile(r"(\d{4})([/\-._])(\d{1,2})\2(\d{1,2})")
MONTH_FIRST = re.compile(r"(\d{1,2})([/\-._])(\d{1,2})\2(\d{4})")
ISO_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?")
BIRTH_FORMATS = "YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY_MM_DD or MM-DD-YYYY, MM/DD/YYYY, ..."
FIRST_BIRTHDAY = date(1900, 1, 1)


def is_email(text: str) -> bool:
    local, _, _ = text.partition("@")
    if len(text) > MAX_EMAIL or len(local) > MAX_EMAIL_LOCAL:
        return False
    return EMAIL.fullmatch(text) is not None


def normalized_tag(tag: str) -> str:
    """Tags are matched and stored trimmed and lower-cased, as HighLevel keeps them."""
    return tag.strip().lower()


def tag_list(tags: list[str]) -> list[str]:
    """Distinct, in the order given; empty tags dropped."""
    return list(dict.fromkeys(tag for tag in map(normalized_tag, tags) if tag))


def birth_date(text: str) -> str:
    """`text` as YYYY-MM-DD, or ValueError."""
    text = text.strip()
    for pattern, order in ((YEAR_FIRST, (1, 3, 4)), (MONTH_FIRST, (4, 1, 3))):
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(match[group]) for group in order)
            break
    else:
        match = ISO_DATE_TIME.fullmatch(text)
        if not match:
            raise ValueError(f"must be a date ({BIRTH_FORMATS})")
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    try:
        born = date(year, month, day)
    except ValueError:
        raise ValueError(f"must be a date ({BIRTH_FORMATS})") from None
    if born < FIRST_BIRTHDAY:
        raise ValueError("must not be before 1900-01-01")
    return born.isoformat()


class DndSettingSchema(RequestDTO):
    status: Literal["active", "inactive", "permanent"]
    message: Message | None = None
    code: Text | None = None


class DndSettingsSchema(RequestDTO):
    """The channels of both editions: v3's `call`, `email`... and 2021-07-28's `Call`,
    `Email`... Each is stored and answered under the name it was given."""

    call: DndSettingSchema | None = None
    email: DndSettingSchema | None = None
    sms: DndSettingSchema | None = None
    whatsApp: DndSettingSchema | None = None
    gmb: DndSettingSchema | None = None
    fb: DndSettingSchema | None = None
    Call: DndSettingSchema | None = None
    Email: DndSettingSchema | None = None
    SMS: DndSettingSchema | None = None
    WhatsApp: DndSettingSchema | None = None
    GMB: DndSettingSchema | None = None
    FB: DndSettingSchema | None = None


class InboundDndSettingSchema(RequestDTO):
    status: Literal["active", "inactive"]
    message: Message | None = None


class InboundDndSettingsSchema(RequestDTO):
    all: InboundDndSettingSchema | None = None


class CustomFieldInput(RequestDTO):
    """One custom field value (TextField, NumericField, CheckboxField, FileField...): the field
    named by `id` or `key`, the value in `fieldValue` (or the older `field_value`). A null value
    takes the field off the contact."""

    id: NonEmpty | None = None
    key: NonEmpty | None = None
    fieldValue: Any = None
    field_value: Any = None

    @model_validator(mode="after")
    def named_and_bounded(self):
        if self.id is None and self.key is None:
            raise ValueError("must name the field by id or key")
        value = self.value
        if value is not None:
            if not _is_field_value(value):
                raise ValueError(
                    "fieldValue must be a string, a number, a boolean, an array of strings "
                    "or an object (numbers finite, integers of at most 64 bits)"
                )
            if len(orjson.dumps(value)) > MAX_CUSTOM_VALUE:
                raise ValueError(
                    f"fieldValue must be shorter than or equal to {MAX_CUSTOM_VALUE} characters "
                    "of JSON"
                )
        return self

    @property
    def value(self) -> Any:
        return self.fieldValue if self.fieldValue is not None else self.field_value

    @property
    def name(self) -> str:
        return self.id if self.id is not None else f"key:{self.key}"


def _is_field_value(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return isinstance(value, str | bool | int | float | dict) and _storable(value)


def _storable(value: Any) -> bool:
    """JSON both databases store and the answer renders: integers of 64 bits, finite numbers."""
    if isinstance(value, bool | str) or value is None:
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return isinstance(value, dict) and all(_storable(item) for item in value.values())


Tags = Annotated[list[Annotated[str, Field(max_length=MAX_TAG_LENGTH)]], Field(max_length=MAX_TAGS)]


class ContactFields(RequestDTO):
    """What create, update and upsert share (CreateContactDtoV3, UpdateContactDtoV3,
    UpsertContactDtoV3 and their 2021-07-28 twins). A field given as null is cleared; a field
    left out is kept (update, upsert)."""

    firstName: Text | None = None
    lastName: Text | None = None
    name: Text | None = None
    email: Annotated[str, Field(max_length=MAX_EMAIL + 64)] | None = None
    phone: Annotated[str, Field(max_length=MAX_INPUT)] | None = None
    companyName: Text | None = None
    address1: Text | None = None
    city: Text | None = None
    state: Text | None = None
    postalCode: Text | None = None
    country: Text | None = None
    website: Website | None = None
    timezone: Text | None = None
    gender: Text | None = None
    source: Text | None = None
    assignedTo: Text | None = None
    dateOfBirth: Text | None = None
    dnd: bool | None = None
    dndSettings: DndSettingsSchema | None = None
    inboundDndSettings: InboundDndSettingsSchema | None = None
    tags: Tags | None = None
    customFields: Annotated[list[CustomFieldInput], Field(max_length=MAX_CUSTOM_FIELDS)] | None = (
        None
    )

    @field_validator("email")
    @classmethod
    def an_email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not is_email(value):
            raise ValueError("must be an email")
        return value

    @field_validator("phone")
    @classmethod
    def some_phone(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("timezone")
    @classmethod
    def a_zone(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not is_known_zone(value):
            raise ValueError("must be a valid IANA time zone")
        return value

    @field_validator("country")
    @classmethod
    def a_country(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not COUNTRY.fullmatch(value):
            raise ValueError("must be an ISO 3166-1 alpha-2 country code (US, DE...)")
        return value.upper()

    @field_validator("dateOfBirth")
    @classmethod
    def a_birth_date(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return birth_date(value)


class CreateContactDto(ContactFields):
    locationId: NonEmpty


class UpdateContactDto(ContactFields):
    pass


class UpsertContactDto(CreateContactDto):
    createNewIfDuplicateAllowed: bool = False


class TagsDTO(RequestDTO):
    tags: Tags


def dnd_dto(settings: dict | None) -> dict | None:
    return settings or None


def custom_field_dto(entry: dict) -> dict:
    """CustomFieldSchema: the field's id (and key when it was named by one) and its value."""
    answer = {key: entry[key] for key in ("id", "key") if entry.get(key) is not None}
    answer["value"] = entry["value"]
    return answer


def contact_dto(contact: Contact) -> dict:
    """GetContactByIdSchemaV3 (and 2021-07-28's GetContectByIdSchema): fields with no value are
    left out rather than sent as null, which the spec's string types would not allow."""
    optional = {
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "name": contact.full_name or None,
        "firstNameLowerCase": contact.first_name_lower or None,
        "lastNameLowerCase": contact.last_name_lower or None,
        "fullNameLowerCase": contact.full_name_lower or None,
        "email": contact.email,
        "emailLowerCase": contact.email_lower or None,
        "phone": contact.phone,
        "companyName": contact.company_name,
        "address1": contact.address1,
        "city": contact.city,
        "state": contact.state,
        "postalCode": contact.postal_code,
        "country": contact.country,
        "website": contact.website,
        "timezone": contact.timezone,
        "gender": contact.gender,
        "source": contact.source,
        "assignedTo": contact.assigned_to,
        "dateOfBirth": contact.date_of_birth,
        "dndSettings": dnd_dto(contact.dnd_settings),
        "inboundDndSettings": dnd_dto(contact.inbound_dnd_settings),
    }
    return {
        "id": contact.id,
        "locationId": contact.location_id,
        **{key: value for key, value in optional.items() if value is not None},
        "type": contact.type,
        "dnd": contact.dnd,
        "tags": list(contact.tags),
        "customFields": [custom_field_dto(entry) for entry in contact.custom_fields],
        "dateAdded": iso_utc_ms(contact.date_added_ms),
        "dateUpdated": iso_utc_ms(contact.date_updated_ms),
    }


def succeeded(**answer: Any) -> dict:
    """v3's `succeeded` and 2021-07-28's (and v3's deprecated) `succeded`, both true."""
    return {"succeeded": True, "succeded": True, **answer}
