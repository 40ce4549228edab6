"""The widget's forms: read within bounds, checked with the API's own rules and messages.

The person's fields are checked by the contacts API's body (`UpsertContactDto`: its lengths and
its email rule, its messages as the API words them) and by the contacts' phone rule in the
location's country (`contacts.phones`), so the page refuses exactly what `POST /contacts/upsert`
would, with the same sentence, shown next to the field. The widget asks for more than the API
requires: a first and last name and an email.
"""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs

from pydantic import ValidationError

from opencalendars.contacts.phones import location_country, to_e164
from opencalendars.contacts.schemas import UpsertContactDto, is_email
from opencalendars.http.validation import describe_error
from opencalendars.widget.i18n import N_
from opencalendars.zones import is_known_zone

# A booking form is a few kilobytes; the app refuses bodies over 1 MiB before this.
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 64
MAX_NOTES = 2000
MAX_GUESTS = 10
MAX_SLOT_TEXT = 40
MAX_TEXT = 255
HONEYPOT = "website"
PERSON_FIELDS = ("firstName", "lastName", "email", "phone")
# The widget asks for more than the contacts API requires.
REQUIRED = {
    "firstName": N_("Enter your first name."),
    "lastName": N_("Enter your last name."),
    "email": N_("Enter your email address."),
}

# Refusals of the whole form (the field-level ones are the API's sentences).
NOT_A_FORM = N_("The form must be sent as application/x-www-form-urlencoded.")
FORM_TOO_LARGE = N_("The form is too large.")
UNREADABLE = N_("The form cannot be read.")
NUL = N_("The form must not contain NUL characters.")
REPEATED = N_("Each field of the form must be sent once.")


class FormRefused(Exception):
    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def read_form(content_type: str | None, body: bytes) -> dict[str, str]:
    """An `application/x-www-form-urlencoded` body, each field given at most once."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormRefused(415, NOT_A_FORM)
    if len(body) > MAX_FORM_BYTES:
        raise FormRefused(413, FORM_TOO_LARGE)
    try:
        parsed = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=MAX_FORM_FIELDS,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise FormRefused(400, UNREADABLE) from None
    if any("\x00" in text for name, values in parsed.items() for text in (name, *values)):
        raise FormRefused(400, NUL)
    if any(len(values) > 1 for values in parsed.values()):
        raise FormRefused(400, REPEATED)
    return {name: values[0] for name, values in parsed.items()}


def slot_start_ms(text: str | None) -> int | None:
    """A slot as the engine offers it (`2026-03-02T09:00:00-05:00`) as epoch ms; None if it is
    not one."""
    if not text or len(text) > MAX_SLOT_TEXT:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or not 1900 <= moment.year < 9000:
        return None
    return int(moment.timestamp() * 1000)


def visitor_zone(text: str | None, fallback: str) -> str:
    return text if text and is_known_zone(text) else fallback


@dataclass
class Problems:
    """Messages by field (`None`: the whole form); each an English msgid or API sentence and
    the values to put in it once translated."""

    by_field: dict[str | None, tuple[str, dict]] = field(default_factory=dict)

    def add(self, name: str | None, message: str, **values: object) -> None:
        self.by_field.setdefault(name, (message, values))

    def __bool__(self) -> bool:
        return bool(self.by_field)


@dataclass
class Person:
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    notes: str
    guests: list[str]
    guest_count: int


def check_person(
    values: dict[str, str], settings: dict, country: str | None, *, problems: Problems
) -> Person:
    """The person's fields as the contacts API checks them, and what the calendar asks."""
    given = {name: values.get(name, "").strip() for name in PERSON_FIELDS}
    for name, message in REQUIRED.items():
        if not given[name]:
            problems.add(name, message)
    try:
        UpsertContactDto.model_validate(
            {"locationId": "-", **{name: text for name, text in given.items() if text}}
        )
    except ValidationError as error:
        for item in error.errors(include_url=False):
            name = str(item["loc"][0]) if item["loc"] else None
            sentence = describe_error(item)
            if name == "email" and item["type"] == "value_error":
                problems.add(name, N_("email must be an email"))
            elif item["type"] == "string_too_long":
                limit = (item.get("ctx") or {}).get("max_length")
                problems.add(
                    name,
                    N_("%(field)s must be shorter than or equal to %(limit)s characters"),
                    field=name,
                    limit=limit,
                )
            else:
                problems.add(name, sentence)
    phone = None
    if given["phone"] and "phone" not in problems.by_field:
        phone = to_e164(given["phone"], location_country(country))
        if phone is None:
            problems.add(
                "phone",
                N_(
                    "phone must be a valid phone number (with + and the country code, or a "
                    "number of the location's country, %(country)s)"
                ),
                country=location_country(country),
            )
    notes = values.get("notes", "").strip()
    if len(notes) > MAX_NOTES:
        problems.add(
            "notes",
            N_("%(field)s must be shorter than or equal to %(limit)s characters"),
            field="notes",
            limit=MAX_NOTES,
        )
    guests, guest_count = check_guests(values, settings.get("guestType"), problems)
    if settings.get("consentLabel") and values.get("consent") != "yes":
        problems.add("consent", N_("Tick the box to give your consent."))
    return Person(
        first_name=given["firstName"],
        last_name=given["lastName"],
        email=given["email"] or None,
        phone=phone,
        notes=notes,
        guests=guests,
        guest_count=guest_count,
    )


def check_guests(
    values: dict[str, str], guest_type: str | None, problems: Problems
) -> tuple[list[str], int]:
    if guest_type == "collect_detail":
        text = values.get("guests", "")
        if len(text) > MAX_GUESTS * 256:
            problems.add("guests", N_("You can add up to %(count)d guests."), count=MAX_GUESTS)
            return [], 0
        emails = [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]
        if len(emails) > MAX_GUESTS:
            problems.add("guests", N_("You can add up to %(count)d guests."), count=MAX_GUESTS)
            return [], 0
        wrong = [email for email in emails if not is_email(email)]
        if wrong:
            problems.add("guests", N_("%(email)s is not an email."), email=wrong[0])
            return [], 0
        return list(dict.fromkeys(emails)), 0
    if guest_type == "count_only":
        text = values.get("guestCount", "").strip() or "0"
        if len(text) > 3 or not text.isascii() or not text.isdigit() or int(text) > MAX_GUESTS:
            problems.add("guestCount", N_("You can add up to %(count)d guests."), count=MAX_GUESTS)
            return [], 0
        return [], int(text)
    return [], 0
