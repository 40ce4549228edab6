"""What a contact fills in a template (`templates.render`): titles and notification texts.

Other areas read a contact's names here (events' notification texts): this is the contacts
area's seam for them (docs/architecture.md "Layers")."""

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import bindparam, select

from opencalendars.contacts.models import Contact, full_name_of
from opencalendars.db.batch import Fetch
from opencalendars.db.prepared import PreparedRead


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


_contacts = Contact.__table__.c
# What a booking and a notification read of a contact: `BookedContact`'s columns.
NAME_COLUMNS = (
    _contacts.id,
    _contacts.first_name,
    _contacts.last_name,
    _contacts.email,
    _contacts.phone,
)
# Built once: a live contact's names, for the texts of the notifications an appointment queues.
_LIVE_NAMES = PreparedRead(
    select(*NAME_COLUMNS).where(
        _contacts.id == bindparam("contact_id"),
        _contacts.location_id == bindparam("location_id"),
        _contacts.deleted.is_(False),
    )
)


def booked(row) -> BookedContact:
    return BookedContact(row.id, row.first_name, row.last_name, row.email, row.phone)


def named_contact(location_id: str, contact_id: str) -> Fetch:
    """The location's live contact `contact_id` (a `BookedContact`), or None: a plan's fetch."""
    return Fetch(
        _LIVE_NAMES,
        {"location_id": location_id, "contact_id": contact_id},
        one=True,
        shape=lambda row: None if row is None else booked(row),
    )
