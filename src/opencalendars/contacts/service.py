"""Contacts: create, read, update, soft delete, upsert, search, the duplicate lookup, tags and a
contact's appointments (docs/contacts.md).

Matching: among a location's live contacts, the email lower-cased, then the phone as E.164.
Unless the location allows duplicates, no two live contacts share either.

Race safety: a write that gives an email or a phone first takes the contact locks of those values
(`db/locks.contact_key`: PostgreSQL advisory locks, in sorted order, before any row lock), then
looks for a duplicate and writes. A second request with the same email waits for the first to
commit and, READ COMMITTED reading afresh at each statement, then sees its contact. On SQLite
write transactions already take turns (`BEGIN IMMEDIATE`).

Other areas (appointments requiring a live contact, titles, notifications) read contacts through
`live_contact`.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.admin.models import Location
from opencalendars.appointments.models import Appointment
from opencalendars.calendars.models import Calendar
from opencalendars.contacts import search
from opencalendars.contacts.models import Contact, ContactTag
from opencalendars.contacts.phones import invalid_message, location_country, to_e164
from opencalendars.contacts.schemas import (
    MAX_CUSTOM_FIELDS,
    MAX_TAGS,
    ContactFields,
    CreateContactDto,
    CustomFieldInput,
    UpsertContactDto,
    is_email,
    tag_list,
)
from opencalendars.db.database import Database
from opencalendars.db.locks import contact_key, take_booking_locks
from opencalendars.db.queries import for_change, live, one_or_not_found
from opencalendars.errors import BadRequest
from opencalendars.events.emit import contact_changed
from opencalendars.ids import new_id

CONTACT_NOT_FOUND = "Contact not found"
DUPLICATED = "This location does not allow duplicated contacts."
TOO_MANY_TAGS = f"a contact can have no more than {MAX_TAGS} tags"
TOO_MANY_FIELDS = f"a contact can have no more than {MAX_CUSTOM_FIELDS} custom fields"
# A contact's appointments: the latest this many, by start.
MAX_APPOINTMENTS = 1000

# Body fields stored as they are (empty text clears them), and their columns.
PLAIN_FIELDS = {
    "companyName": "company_name",
    "address1": "address1",
    "city": "city",
    "state": "state",
    "postalCode": "postal_code",
    "country": "country",
    "website": "website",
    "timezone": "timezone",
    "gender": "gender",
    "source": "source",
    "assignedTo": "assigned_to",
    "dateOfBirth": "date_of_birth",
}
DND_FIELDS = {"dndSettings": "dnd_settings", "inboundDndSettings": "inbound_dnd_settings"}


class DuplicateContact(BadRequest):
    """400 with the live service's body: which contact already has the email or phone."""

    def __init__(self, contact: Contact, matching_field: str):
        super().__init__(DUPLICATED)
        self.meta = {
            "contactId": contact.id,
            "contactName": contact.full_name,
            "matchingField": matching_field,
        }

    def body(self) -> dict:
        return {"statusCode": self.status_code, "message": self.message, "meta": self.meta}


@dataclass(frozen=True)
class ContactSettings:
    """What a location decides about its contacts."""

    country: str
    allow_duplicates: bool


def location_settings(session: Session, location_id: str) -> ContactSettings:
    country, allow_duplicates = session.execute(
        select(Location.country, Location.allow_duplicate_contacts).where(
            Location.id == location_id
        )
    ).one()
    return ContactSettings(location_country(country), allow_duplicates)


def live_contact(
    session: Session, location_id: str, contact_id: str, *, to_change: bool = False
) -> Contact | None:
    """The location's contact with this id, unless deleted; None otherwise (another location's
    contact included). `to_change`: locked for a read-modify-write (`for_change`)."""
    query = live(Contact, location_id).where(Contact.id == contact_id)
    return session.scalar(for_change(query) if to_change else query)


def get_live_contact(
    session: Session, location_id: str, contact_id: str, *, to_change: bool = False
) -> Contact:
    """`live_contact`, or 404 `Contact not found`."""
    query = live(Contact, location_id).where(Contact.id == contact_id)
    return one_or_not_found(session, query, CONTACT_NOT_FOUND, to_change=to_change)


# ---- what a body changes ----------------------------------------------------------------------


def split_name(name: str) -> tuple[str | None, str | None]:
    """`name` alone: its first word is the first name, the rest the last name."""
    first, _, last = name.strip().partition(" ")
    return first or None, last.strip() or None


def blank_as_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def changes_of(dto: ContactFields, country: str) -> dict[str, Any]:
    """The columns the body sets, for the fields it gives (null or empty text clears one).
    A phone number is normalised here: 400 when it is none."""
    given = dto.model_fields_set
    values: dict[str, Any] = {}
    for field, column in PLAIN_FIELDS.items():
        if field in given:
            values[column] = blank_as_none(getattr(dto, field))
    if "firstName" in given or "lastName" in given:
        # The parts win over `name`.
        for field, column in (("firstName", "first_name"), ("lastName", "last_name")):
            if field in given:
                values[column] = blank_as_none(getattr(dto, field))
    elif "name" in given:
        values["first_name"], values["last_name"] = split_name(dto.name or "")
    if "email" in given:
        values["email"] = dto.email
        values["email_lower"] = (dto.email or "").lower()
    if "phone" in given:
        phone = None
        if dto.phone is not None:
            phone = to_e164(dto.phone, country)
            if phone is None:
                raise BadRequest([invalid_message("phone", country)])
        values["phone"] = phone
    if "dnd" in given:
        values["dnd"] = bool(dto.dnd)
    for field, column in DND_FIELDS.items():
        if field in given:
            settings = getattr(dto, field)
            values[column] = settings.model_dump(exclude_none=True) or None if settings else None
    return values


def field_name(entry: dict) -> str:
    return entry["id"] if entry.get("id") is not None else f"key:{entry['key']}"


def merged_custom_fields(existing: list[dict], given: list[CustomFieldInput]) -> list[dict]:
    """Each field given replaces the contact's value of that field (or takes it off, when null);
    the others stay."""
    fields = {field_name(entry): entry for entry in existing}
    for field in given:
        if field.value is None:
            fields.pop(field.name, None)
            continue
        entry = {"id": field.id, "key": field.key, "value": field.value}
        fields[field.name] = {key: value for key, value in entry.items() if value is not None}
    if len(fields) > MAX_CUSTOM_FIELDS:
        raise BadRequest([TOO_MANY_FIELDS])
    return list(fields.values())


def lock_identities(session: Session, location_id: str, values: dict[str, Any]) -> None:
    """The contact locks of the email and phone a write gives (before any row lock)."""
    keys = []
    if values.get("email_lower"):
        keys.append(contact_key(location_id, "email", values["email_lower"]))
    if values.get("phone"):
        keys.append(contact_key(location_id, "phone", values["phone"]))
    take_booking_locks(session, keys)


def first_with(
    session: Session,
    location_id: str,
    field: str,
    *,
    value: str,
    except_id: str | None = None,
    to_change: bool = False,
) -> Contact | None:
    """The oldest live contact with this email (lower-cased) or phone (E.164)."""
    column = Contact.email_lower if field == "email" else Contact.phone
    query = live(Contact, location_id).where(column == value)
    if except_id is not None:
        query = query.where(Contact.id != except_id)
    query = query.order_by(Contact.date_added_ms, Contact.id).limit(1)
    return session.scalar(for_change(query) if to_change else query)


def refuse_duplicates(
    session: Session,
    location_id: str,
    email_lower: str | None,
    *,
    phone: str | None,
    except_id=None,
) -> None:
    """400 naming the contact that already has the email (checked first) or the phone."""
    for field, value in (("email", email_lower), ("phone", phone)):
        if value:
            other = first_with(session, location_id, field, value=value, except_id=except_id)
            if other is not None:
                raise DuplicateContact(other, field)


def refresh_names(contact: Contact) -> None:
    contact.first_name_lower = (contact.first_name or "").lower()
    contact.last_name_lower = (contact.last_name or "").lower()
    contact.full_name_lower = contact.full_name.lower()


def write_tags(session: Session, contact: Contact, tags: list[str]) -> None:
    """The contact's tags become `tags`, and the tag index follows."""
    old = set(contact.tags)
    gone = old - set(tags)
    added = [tag for tag in tags if tag not in old]
    if gone:
        session.execute(
            delete(ContactTag).where(ContactTag.contact_id == contact.id, ContactTag.tag.in_(gone))
        )
    if added:
        rows = [
            {"contact_id": contact.id, "tag": tag, "location_id": contact.location_id}
            for tag in added
        ]
        session.execute(insert(ContactTag), rows)
    contact.tags = list(tags)


def apply(
    session: Session, contact: Contact, values: dict[str, Any], *, dto: ContactFields
) -> None:
    """The body's changes on a stored (flushed) contact."""
    for column, value in values.items():
        setattr(contact, column, value)
    refresh_names(contact)
    if "customFields" in dto.model_fields_set:
        # null takes every custom field off; a list changes the fields it names.
        given = dto.customFields
        contact.custom_fields = (
            merged_custom_fields(contact.custom_fields, given) if given is not None else []
        )
    if "tags" in dto.model_fields_set:
        write_tags(session, contact, tag_list(dto.tags or []))


def new_contact(
    session: Session, location_id: str, values: dict[str, Any], *, dto: ContactFields, now: int
) -> Contact:
    """A new contact with the body's fields, added at `now`, and its `ContactCreate`."""
    contact = Contact(
        id=new_id(),
        location_id=location_id,
        email_lower="",
        type="lead",
        dnd=False,
        tags=[],
        custom_fields=[],
        deleted=False,
        date_added_ms=now,
        date_updated_ms=now,
    )
    refresh_names(contact)
    session.add(contact)
    session.flush()  # the tag index refers to it
    apply(session, contact, values, dto=dto)
    contact_changed(session, "ContactCreate", contact, now_ms=now)
    return contact


def changed(session: Session, contact: Contact, now: int) -> None:
    """The contact was changed at `now`: `dateUpdated` follows and `ContactUpdate` is sent."""
    contact.date_updated_ms = now
    contact_changed(session, "ContactUpdate", contact, now_ms=now)


# ---- operations --------------------------------------------------------------------------------


def create_contact(db: Database, dto: CreateContactDto) -> Contact:
    with db.write() as session:
        settings = location_settings(session, dto.locationId)
        values = changes_of(dto, settings.country)
        lock_identities(session, dto.locationId, values)
        if not settings.allow_duplicates:
            refuse_duplicates(
                session, dto.locationId, values.get("email_lower"), phone=values.get("phone")
            )
        return new_contact(session, dto.locationId, values, dto=dto, now=clock.now_ms(session))


def read_contact(db: Database, location_id: str, contact_id: str) -> Contact:
    with db.read() as session:
        return get_live_contact(session, location_id, contact_id)


def update_contact(
    db: Database, location_id: str, contact_id: str, *, dto: ContactFields
) -> Contact:
    """The fields the body gives; an email or phone another live contact has is refused unless
    the location allows duplicates (a contact may keep the ones it has)."""
    with db.write() as session:
        settings = location_settings(session, location_id)
        values = changes_of(dto, settings.country)
        lock_identities(session, location_id, values)
        contact = get_live_contact(session, location_id, contact_id, to_change=True)
        if not settings.allow_duplicates:
            email_lower = values.get("email_lower")
            phone = values.get("phone")
            refuse_duplicates(
                session,
                location_id,
                email_lower if email_lower != contact.email_lower else None,
                phone=phone if phone != contact.phone else None,
                except_id=contact.id,
            )
        apply(session, contact, values, dto=dto)
        changed(session, contact, clock.now_ms(session))
        return contact


def upsert_contact(db: Database, dto: UpsertContactDto) -> tuple[Contact, bool]:
    """The contact with the body's email, else the one with its phone, updated; or a new one.
    True when new. Unless the location allows duplicates, a phone another contact has is left
    out of the update of the contact found by email (the spec: "ignore the second field")."""
    with db.write() as session:
        location_id = dto.locationId
        settings = location_settings(session, location_id)
        values = changes_of(dto, settings.country)
        lock_identities(session, location_id, values)
        if dto.createNewIfDuplicateAllowed and settings.allow_duplicates:
            return new_contact(
                session, location_id, values, dto=dto, now=clock.now_ms(session)
            ), True
        email_lower, phone = values.get("email_lower"), values.get("phone")
        by_email = (
            first_with(session, location_id, "email", value=email_lower, to_change=True)
            if email_lower
            else None
        )
        by_phone = first_with(session, location_id, "phone", value=phone) if phone else None
        contact = by_email
        if contact is None and by_phone is not None:
            contact = live_contact(session, location_id, by_phone.id, to_change=True)
        if contact is None:
            return new_contact(
                session, location_id, values, dto=dto, now=clock.now_ms(session)
            ), True
        if not settings.allow_duplicates and by_phone is not None and by_phone.id != contact.id:
            del values["phone"]
        apply(session, contact, values, dto=dto)
        changed(session, contact, clock.now_ms(session))
        return contact, False


def delete_contact(db: Database, location_id: str, contact_id: str) -> None:
    """Soft delete: the contact answers 404 from now on; appointments keep its id."""
    with db.write() as session:
        contact = get_live_contact(session, location_id, contact_id, to_change=True)
        now = clock.now_ms(session)
        contact.deleted = True
        contact.deleted_ms = now
        contact.date_updated_ms = now
        # The contact as it was: the body has no field that deleting changes.
        contact_changed(session, "ContactDelete", contact, now_ms=now)


def add_tags(db: Database, location_id: str, contact_id: str, *, tags: list[str]) -> Contact:
    """Idempotent: a tag the contact has stays once."""
    with db.write() as session:
        contact = get_live_contact(session, location_id, contact_id, to_change=True)
        wanted = tag_list([*contact.tags, *tags])
        if len(wanted) > MAX_TAGS:
            raise BadRequest([TOO_MANY_TAGS])
        if wanted != contact.tags:
            write_tags(session, contact, wanted)
            changed(session, contact, clock.now_ms(session))
        return contact


def remove_tags(db: Database, location_id: str, contact_id: str, *, tags: list[str]) -> Contact:
    """Idempotent: a tag the contact does not have is no error."""
    with db.write() as session:
        contact = get_live_contact(session, location_id, contact_id, to_change=True)
        doomed = set(tag_list(tags))
        wanted = [tag for tag in contact.tags if tag not in doomed]
        if wanted != contact.tags:
            write_tags(session, contact, wanted)
            changed(session, contact, clock.now_ms(session))
        return contact


def find_duplicate(
    db: Database, location_id: str, email: str | None, *, number: str | None
) -> Contact | None:
    """The oldest live contact with the email, else the oldest with the phone number."""
    email = (email or "").strip()
    # An unencoded `+` in a query string arrives as a space.
    number = (number or "").strip() if not (number or "").startswith(" ") else "+" + number.strip()
    if not email and not number:
        raise BadRequest(["email or number should not be empty"])
    if email and not is_email(email):
        raise BadRequest(["email must be an email"])
    with db.read() as session:
        settings = location_settings(session, location_id)
        phone = None
        if number:
            phone = to_e164(number, settings.country)
            if phone is None:
                raise BadRequest([invalid_message("number", settings.country)])
        found = first_with(session, location_id, "email", value=email.lower()) if email else None
        if found is None and phone is not None:
            found = first_with(session, location_id, "phone", value=phone)
        return found


@dataclass
class SearchPage:
    contacts: list[Contact]
    total: int
    order: search.Order


def search_contacts(db: Database, dto: search.SearchBodyV2DTO) -> SearchPage:
    if dto.searchAfter is not None and dto.page > 1:
        raise BadRequest(["page must not be given with searchAfter"])
    if dto.page * dto.pageLimit > search.MAX_PAGED:
        raise BadRequest(
            [
                f"page x pageLimit must not be greater than {search.MAX_PAGED}: "
                "read further with searchAfter"
            ]
        )
    order = search.order_of(dto.sort)
    with db.read() as session:
        settings = location_settings(session, dto.locationId)
        dialect = session.get_bind().dialect.name
        conditions = [search.Filters(dto.locationId, settings.country).condition(dto.filters)]
        text = search.free_text(dto.query)
        if text is not None:
            conditions.append(text)
        following = search.after(order, dto.searchAfter, dialect)
        total = session.scalar(
            select(func.count(Contact.id)).where(
                Contact.location_id == dto.locationId, Contact.deleted.is_(False), *conditions
            )
        )
        page = live(Contact, dto.locationId).where(*conditions)
        if following is not None:
            page = page.where(following)
        else:
            page = page.offset((dto.page - 1) * dto.pageLimit)
        page = page.order_by(*search.sort_clauses(order, dialect)).limit(dto.pageLimit)
        return SearchPage(list(session.scalars(page)), total, order)


def contact_appointments(
    db: Database, location_id: str, contact_id: str
) -> list[tuple[Appointment, str | None]]:
    """The live contact's appointments that are not deleted (cancelled ones included), with their
    calendar's group, by start: the latest `MAX_APPOINTMENTS`. A series is one appointment (its
    first occurrence and its rule); an occurrence edited on its own is one of its own."""
    with db.read() as session:
        get_live_contact(session, location_id, contact_id)
        rows = session.execute(
            select(Appointment, Calendar.group_id)
            .outerjoin(Calendar, Calendar.id == Appointment.calendar_id)
            .where(
                Appointment.location_id == location_id,
                Appointment.contact_id == contact_id,
                Appointment.deleted.is_(False),
            )
            .order_by(Appointment.start_ms.desc(), Appointment.id.desc())
            .limit(MAX_APPOINTMENTS)
        ).all()
    return [(appointment, group_id) for appointment, group_id in reversed(rows)]
