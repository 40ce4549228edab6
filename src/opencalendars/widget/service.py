"""What the widget's pages read and do.

Which calendars are public: a live, active calendar whose group (if it has one) is live and
active. Everything else answers as unknown (`Unavailable`, a plain 404 page).

Slots come from the free-slot engine itself (`slots.service.get_free_slots`, the code behind
`GET /calendars/{calendarId}/free-slots`); bookings, reschedules and cancellations go through the
appointments service (`create_appointment`, `update_appointment`) as the API's do, with the
engine check, the assignment, the booking locks, the events and the notifications they bring.
The person who books is upserted as a contact (`contacts.service.upsert_contact`) first.
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from opencalendars import clock
from opencalendars.admin.models import Location
from opencalendars.appointments import service as appointments
from opencalendars.appointments.models import FREEING_STATUSES, Appointment
from opencalendars.appointments.schemas import AppointmentCreateSchema, AppointmentEditSchema
from opencalendars.availability.resolver import local_instant_ms
from opencalendars.calendars.models import Calendar
from opencalendars.calendars.rules import CalendarRules
from opencalendars.calendars.schemas import calendar_dto
from opencalendars.contacts import service as contacts
from opencalendars.contacts.models import Contact
from opencalendars.contacts.schemas import UpsertContactDto
from opencalendars.context import LocationContext
from opencalendars.db.database import Database
from opencalendars.errors import ApiError, BadRequest
from opencalendars.groups.models import CalendarGroup
from opencalendars.http.times import BodyTimes
from opencalendars.slots.service import FreeSlotsQuery, get_free_slots

# Ids and slugs longer than any the server makes name nothing (and are never looked up).
MAX_KEY = 255
# Who a visitor may pick (`?userId=`): calendars that assign one member among several.
USER_CHOICE_TYPES = ("round_robin", "class_booking", "service_booking")
# Where the contact came from, as the contact's `source`.
CONTACT_SOURCE = "booking widget"


class Unavailable(Exception):
    """No public calendar, group or appointment answers this (a 404 page)."""


class ContactRefused(Exception):
    """The contacts service refused the person (a field's message, as the API words it)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# The booking path's answer to a start it does not offer (appointments.booking.SLOT_TAKEN).
SLOT_TAKEN = "The slot you have selected is no longer available."


def sentence(error: ApiError) -> str:
    return " ".join(error.message) if isinstance(error.message, list) else str(error.message)


def is_slot_taken(error: ApiError) -> bool:
    messages = error.message if isinstance(error.message, list) else [error.message]
    return SLOT_TAKEN in messages


@dataclass(frozen=True)
class WidgetCalendar:
    """A public calendar as the pages show it."""

    rules: CalendarRules
    settings: dict  # CalendarDTO: the stored settings over their defaults
    location_zone: str
    location_country: str | None

    @property
    def id(self) -> str:
        return self.rules.id

    @property
    def location_id(self) -> str:
        return self.rules.location_id

    @property
    def context(self) -> LocationContext:
        return LocationContext(self.location_id, self.location_zone)

    @property
    def duration_minutes(self) -> int:
        return self.rules.slot_duration_ms // 60_000

    def user_choice(self, user_id: str | None) -> str | None:
        """The member a visitor picked, where the calendar's type lets one be picked; a userId
        that is not a member is refused (`Unavailable`), on other types it is ignored."""
        if not user_id or self.rules.calendar_type not in USER_CHOICE_TYPES:
            return None
        if user_id not in self.rules.members:
            raise Unavailable
        return user_id


def _location(session, location_id: str) -> Location:
    found = session.get(Location, location_id)
    if found is None:
        raise Unavailable
    return found


def _group_is_public(session, calendar: Calendar) -> bool:
    if calendar.group_id is None:
        return True
    group = session.scalar(
        select(CalendarGroup).where(
            CalendarGroup.id == calendar.group_id,
            CalendarGroup.location_id == calendar.location_id,
            CalendarGroup.deleted.is_(False),
        )
    )
    return group is not None and group.is_active


def _widget_calendar(session, calendar: Calendar, location: Location) -> WidgetCalendar:
    return WidgetCalendar(
        rules=CalendarRules.of(calendar),
        settings=calendar_dto(calendar),
        location_zone=location.timezone,
        location_country=location.country,
    )


def _public(session, calendar: Calendar | None) -> WidgetCalendar:
    if calendar is None or not calendar.is_active or not _group_is_public(session, calendar):
        raise Unavailable
    return _widget_calendar(session, calendar, _location(session, calendar.location_id))


def _live_calendars():
    return select(Calendar).where(Calendar.deleted.is_(False))


def calendar_by_id(db: Database, calendar_id: str) -> WidgetCalendar:
    if not calendar_id or len(calendar_id) > MAX_KEY:
        raise Unavailable
    with db.read() as session:
        return _public(session, session.scalar(_live_calendars().where(Calendar.id == calendar_id)))


def _one(rows: list):
    """The one row a public name names. Slugs are unique within a location, not across them:
    a name two locations use names neither (`?location=` tells them apart)."""
    if len(rows) != 1:
        raise Unavailable
    return rows[0]


def calendar_by_widget_slug(db: Database, slug: str, location_id: str | None) -> WidgetCalendar:
    if not slug or len(slug) > MAX_KEY or (location_id is not None and len(location_id) > MAX_KEY):
        raise Unavailable
    query = _live_calendars().where(Calendar.widget_slug == slug)
    if location_id is not None:
        query = query.where(Calendar.location_id == location_id)
    with db.read() as session:
        return _public(session, _one(list(session.scalars(query.limit(2)))))


@dataclass(frozen=True)
class WidgetGroup:
    id: str
    name: str
    description: str
    calendars: list[WidgetCalendar]


def group_page(db: Database, key: str, location_id: str | None) -> WidgetGroup:
    """A live, active group by id, else by slug, with its public calendars (oldest first)."""
    if not key or len(key) > MAX_KEY or (location_id is not None and len(location_id) > MAX_KEY):
        raise Unavailable
    live_groups = select(CalendarGroup).where(CalendarGroup.deleted.is_(False))
    if location_id is not None:
        live_groups = live_groups.where(CalendarGroup.location_id == location_id)
    with db.read() as session:
        group = session.scalar(live_groups.where(CalendarGroup.id == key))
        if group is None:
            group = _one(
                list(session.scalars(live_groups.where(CalendarGroup.slug == key).limit(2)))
            )
        if not group.is_active:
            raise Unavailable
        location = _location(session, group.location_id)
        rows = session.scalars(
            _live_calendars()
            .where(
                Calendar.location_id == group.location_id,
                Calendar.group_id == group.id,
                Calendar.is_active.is_(True),
            )
            .order_by(Calendar.date_added_ms, Calendar.id)
        )
        calendars = [_widget_calendar(session, row, location) for row in rows]
    return WidgetGroup(group.id, group.name, group.description or "", calendars)


# --- time ---------------------------------------------------------------------------------


def now_ms(db: Database) -> int:
    """The server's now (real, or the sandbox's frozen instant)."""
    with db.read() as session:
        return clock.now_ms(session)


def month_range_ms(year: int, month: int, zone: str) -> tuple[int, int]:
    """[local midnight of the month's first day, local midnight of the next month's) in `zone`."""
    first = date(year, month, 1)
    days = monthrange(year, month)[1]
    return local_instant_ms(first, 0, zone), local_instant_ms(first, days * 1440, zone)


def month_slots(
    db: Database, page: WidgetCalendar, year: int, *, month: int, zone: str, user_id: str | None
) -> dict:
    """The free-slots answer for one month in `zone`: exactly what
    `GET /calendars/{id}/free-slots?startDate=<first>&endDate=<last>&timezone=<zone>` answers."""
    start_ms, end_ms = month_range_ms(year, month, zone)
    query = FreeSlotsQuery(
        start_ms=start_ms,
        end_ms=end_ms,
        timezone=zone,
        user_ids=[user_id] if user_id else [],
        enable_look_busy=True,
    )
    return get_free_slots(db, page.context, calendar_id=page.id, query=query)


# --- booking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """What the form asks for, checked (forms.py)."""

    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    notes: str
    guests: list[str]
    guest_count: int
    start_ms: int
    user_id: str | None
    visitor_zone: str


def description_of(booking: Booking) -> str | None:
    """What the visitor wrote, and the guests, as the appointment's description."""
    parts = [booking.notes] if booking.notes else []
    if booking.guests:
        parts.append("Guests: " + ", ".join(booking.guests))
    elif booking.guest_count:
        parts.append(f"Guests: {booking.guest_count}")
    return "\n\n".join(parts) or None


def book(db: Database, page: WidgetCalendar, booking: Booking) -> Appointment:
    """Upsert the contact (by email, then phone), then book as the API does. ApiErrors of
    either step propagate (a phone the location cannot read, a slot taken meanwhile)."""
    fields: dict = {
        "locationId": page.location_id,
        "firstName": booking.first_name,
        "lastName": booking.last_name,
        "timezone": booking.visitor_zone,
        "source": CONTACT_SOURCE,
    }
    if booking.email:
        fields["email"] = booking.email
    if booking.phone:
        fields["phone"] = booking.phone
    try:
        contact, _ = contacts.upsert_contact(db, UpsertContactDto.model_validate(fields))
    except BadRequest as refused:
        text = sentence(refused)
        named = next((name for name in ("email", "phone") if text.startswith(name + " ")), None)
        raise ContactRefused(named, text) from None
    body: dict = {
        "calendarId": page.id,
        "locationId": page.location_id,
        "contactId": contact.id,
        "startTime": booking.start_ms,
    }
    if booking.user_id:
        body["assignedUserId"] = booking.user_id
    description = description_of(booking)
    if description:
        body["description"] = description
    return appointments.create_appointment_in_thread(
        db,
        page.context,
        AppointmentCreateSchema.model_validate(body),
        times=BodyTimes(booking.start_ms, None),
    )


# --- an appointment, from a signed link ---------------------------------------------------


@dataclass(frozen=True)
class Booked:
    """An appointment as its links show it."""

    appointment: Appointment
    calendar: WidgetCalendar | None  # None: the calendar is gone or no longer public
    calendar_name: str
    calendar_description: str
    location_zone: str
    contact: Contact | None
    now_ms: int

    @property
    def context(self) -> LocationContext:
        return LocationContext(self.appointment.location_id, self.location_zone)

    @property
    def is_live(self) -> bool:
        return self.appointment.status not in FREEING_STATUSES

    @property
    def is_future(self) -> bool:
        return self.appointment.start_ms > self.now_ms

    def may(self, setting: str) -> bool:
        """Whether the visitor may still reschedule (`allowReschedule`) or cancel
        (`allowCancellation`): a live appointment yet to start, of a public calendar that
        allows it."""
        return (
            self.calendar is not None
            and bool(self.calendar.settings.get(setting))
            and self.is_live
            and self.is_future
            and not self.appointment.is_series
        )


def booked(db: Database, appointment_id: str) -> Booked:
    with db.read() as session:
        appointment = session.scalar(
            select(Appointment).where(
                Appointment.id == appointment_id, Appointment.deleted.is_(False)
            )
        )
        if appointment is None:
            raise Unavailable
        location = _location(session, appointment.location_id)
        row = session.scalar(
            select(Calendar).where(
                Calendar.id == appointment.calendar_id,
                Calendar.location_id == appointment.location_id,
            )
        )
        try:
            public = None if row is None or row.deleted else _public(session, row)
        except Unavailable:
            public = None
        contact = session.scalar(
            select(Contact).where(
                Contact.id == appointment.contact_id,
                Contact.location_id == appointment.location_id,
                Contact.deleted.is_(False),
            )
        )
        return Booked(
            appointment=appointment,
            calendar=public,
            calendar_name=row.name if row is not None else "",
            calendar_description=(row.settings.get("description") or "") if row else "",
            location_zone=location.timezone,
            contact=contact,
            now_ms=clock.now_ms(session),
        )


def reschedule(db: Database, found: Booked, start_ms: int) -> Appointment:
    """Move the appointment as an edit of the API does (checked like a new booking, the
    appointment not counting against itself, the assignee kept while still a member)."""
    return appointments.update_appointment(
        db,
        found.context,
        appointment_id=found.appointment.id,
        dto=AppointmentEditSchema.model_validate({"startTime": start_ms}),
        times=BodyTimes(start_ms, None),
    )


def cancel(db: Database, found: Booked) -> Appointment:
    return appointments.update_appointment(
        db,
        found.context,
        appointment_id=found.appointment.id,
        dto=AppointmentEditSchema.model_validate({"appointmentStatus": "cancelled"}),
        times=BodyTimes(None, None),
    )
