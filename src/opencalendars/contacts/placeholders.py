"""What a contact fills in a template (`templates.render`): titles and notification texts."""

from dataclasses import dataclass
from typing import Protocol

from opencalendars.contacts.models import full_name_of


class Named(Protocol):
    """What a template reads of a contact: a `Contact`, or the `BookedContact` of a booking."""

    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None

    @property
    def full_name(self) -> str: ...


@dataclass(frozen=True)
class BookedContact:
    """The columns of a contact a booking reads (contacts/bookings.py)."""

    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None

    @property
    def full_name(self) -> str:
        return full_name_of(self.first_name, self.last_name)


def contact_placeholders(contact_id: str, contact: Named | None) -> dict[str, str]:
    """`{{contact.id}}`, `{{contact.name}}` (first and last name), `{{contact.first_name}}`,
    `{{contact.last_name}}`, `{{contact.email}}` and `{{contact.phone}}` (E.164). Empty text
    when the contact is not a live contact of the location (a location that does not require
    contacts may book for any id)."""
    if contact is None:
        return {
            "contact.id": contact_id,
            "contact.name": "",
            "contact.first_name": "",
            "contact.last_name": "",
            "contact.email": "",
            "contact.phone": "",
        }
    return {
        "contact.id": contact_id,
        "contact.name": contact.full_name,
        "contact.first_name": contact.first_name or "",
        "contact.last_name": contact.last_name or "",
        "contact.email": contact.email or "",
        "contact.phone": contact.phone or "",
    }
