"""The contact a booking names: required to be live where the location says so, and what the
appointment's title is rendered with (docs/contacts.md "Bookings and contacts")."""

from sqlalchemy import and_, bindparam, select

from opencalendars.admin.models import Location
from opencalendars.contacts.models import Contact
from opencalendars.contacts.placeholders import (
    NAME_COLUMNS,
    BookedContact,
    booked,
    contact_placeholders,
)
from opencalendars.contacts.service import CONTACT_NOT_FOUND
from opencalendars.db.batch import Fetch, Plan
from opencalendars.db.prepared import PreparedRead
from opencalendars.errors import NotFound
from opencalendars.templates import render

# The live service's default `eventTitle`.
DEFAULT_EVENT_TITLE = "{{contact.name}}"

_contacts = Contact.__table__.c
_locations = Location.__table__.c
# Built once: every booking reads whether its location requires contacts and the contact.
_BOOKING_CONTACT = PreparedRead(
    select(_locations.require_contacts, *NAME_COLUMNS)
    .select_from(Location.__table__)
    .outerjoin(
        Contact.__table__,
        and_(
            _contacts.id == bindparam("contact_id"),
            _contacts.location_id == _locations.id,
            _contacts.deleted.is_(False),
        ),
    )
    .where(_locations.id == bindparam("location_id"))
)


def booking_contact(location_id: str, contact_id: str) -> Plan[BookedContact | None]:
    """The location's live contact `contact_id`; 404 `Contact not found` when the location
    requires contacts and it is not one (unknown, deleted, another location's). None when the
    location does not require contacts and the id names no live contact. A plan (db/batch.py):
    a booking reads it with its calendar and the clock, in one round.

    No lock is taken: a contact deleted while the booking commits is the same as one deleted
    just after it, and a deleted contact's appointments stay (as HighLevel keeps them)."""
    (row,) = yield [
        Fetch(_BOOKING_CONTACT, {"location_id": location_id, "contact_id": contact_id}, one=True)
    ]
    if row is None or row.id is None:
        if row is None or row.require_contacts:
            raise NotFound(CONTACT_NOT_FOUND)
        return None
    return booked(row)


def event_title(calendar, contact_id: str, contact: BookedContact | None) -> str:
    """The calendar's `eventTitle` (`{{contact.name}}` by default) rendered with the contact and
    the calendar; the calendar's name when that leaves nothing (a contact without a name, or an
    id that names no contact on a location that does not require contacts)."""
    template = calendar.event_title or DEFAULT_EVENT_TITLE
    values = {**contact_placeholders(contact_id, contact), "calendar.name": calendar.name}
    return render(template, values).strip() or calendar.name
