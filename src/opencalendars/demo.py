"""Demo data: a location with an example of everything the server can hold.

The data is created once; running it again (`serve --demo` at every start, `opencalendars demo`)
reuses the demo location and gives the same demo token, so that a client configured with it
keeps working across restarts.

The demo token is for local use. Tokens are stored only as hashes, so the demo's secret is
derived instead of stored: an HMAC-SHA256, keyed with this database's Ed25519 webhook signing
key (generated once and kept in the database, never served), of the demo location's id and a
counter. It is therefore the same for every process on one database, different on every
database, and never stored or listed anywhere; whoever can read the database can compute it,
as they can read the demo data. Its token row is a plain token named "demo" with every scope,
for the demo location only. Revoking it works as for any token; the next run then derives the
next secret (the counter goes up) and prints that one.
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from opencalendars import clock
from opencalendars.admin import service as admin_service
from opencalendars.appointments import service as appointment_service
from opencalendars.appointments.schemas import AppointmentCreateSchema
from opencalendars.availability.limits import window_end_ms
from opencalendars.availability.resolver import local_instant_ms
from opencalendars.calendars import service as calendar_service
from opencalendars.calendars.models import Calendar
from opencalendars.calendars.schemas import CalendarCreateDTO
from opencalendars.contacts import service as contact_service
from opencalendars.contacts.schemas import CreateContactDto
from opencalendars.context import LocationContext
from opencalendars.db.database import Database
from opencalendars.events import signing
from opencalendars.groups import service as group_service
from opencalendars.groups.schemas import GroupCreateDTO
from opencalendars.http.times import body_times, iso_local
from opencalendars.notifications import service as notification_service
from opencalendars.notifications.schemas import CreateCalendarNotificationDTO
from opencalendars.resources import service as resource_service
from opencalendars.resources.schemas import CreateCalendarResourceDTO
from opencalendars.schedules import service as schedule_service
from opencalendars.schedules.schemas import CreateEventCalendarScheduleDTO, CreateScheduleDTO
from opencalendars.services import bookings as service_bookings
from opencalendars.services import catalog as service_catalog
from opencalendars.services import locations as service_locations
from opencalendars.services.models import ServiceLocation
from opencalendars.services.schemas import (
    CreatePublicServiceBookingDTO,
    CreateServiceDTO,
    CreateServiceLocationDTO,
)
from opencalendars.settings import ED25519
from opencalendars.zones import zone

DEMO_LOCATION_ID = "OpenCalendarsDemo001"
DEMO_TIMEZONE = "America/New_York"

DEMO_GROUPS = (
    ("Consultations", "One-to-one meetings with our advisors", "consultations", True),
    ("Workshops", "Classes and group sessions", "workshops", True),
    ("Seasonal", "Calendars that open for the holidays", "seasonal", False),
)
# The people the demo's appointments and service bookings are for (555-01xx: fictional numbers).
DEMO_CONTACTS = (
    ("Ava", "Thompson", "+1 212-555-0101", ["new"]),
    ("Liam", "Garcia", "+1 212-555-0102", ["lead"]),
    ("Mia", "Chen", "+1 212-555-0103", ["customer"]),
    ("Noah", "Patel", "+1 212-555-0104", ["candidate"]),
    ("Emma", "Rossi", "+1 212-555-0105", ["yoga"]),
    ("Lucas", "Moreau", "+1 212-555-0106", ["yoga"]),
    ("Sofia", "Nguyen", "+1 212-555-0107", ["spa", "vip"]),
    ("Ethan", "Okafor", "+1 212-555-0108", ["customer"]),
    ("Olivia", "Kim", "+1 212-555-0109", ["customer", "weekly"]),
    ("James", "Silva", "+1 212-555-0110", ["salon"]),
    ("Amara", "Haddad", "+1 212-555-0111", ["salon", "home-visit"]),
)


@dataclass(frozen=True)
class DemoResult:
    location_id: str
    timezone: str
    token: str
    # The calendar whose public booking page (`/widget/booking/{calendarId}`) is printed.
    widget_calendar_id: str


def create_demo(db: Database) -> DemoResult:
    existing = {location.id for location in admin_service.list_locations(db)}
    if DEMO_LOCATION_ID not in existing:
        admin_service.create_location(
            db, "OpenCalendars Demo", DEMO_TIMEZONE, location_id=DEMO_LOCATION_ID
        )
        groups = seed_groups(db)
        calendars = seed_calendars(db, groups)
        seed_schedules(db, calendars)
        seed_resources(db, calendars)
        seed_service_locations(db)
        contacts = seed_contacts(db)
        seed_services(db, contacts[9:])
        seed_notifications(db, calendars)
        seed_appointments(db, calendars, contacts[:9])
    return DemoResult(DEMO_LOCATION_ID, DEMO_TIMEZONE, demo_token(db), widget_calendar_id(db))


# The calendar whose booking page the README's first command prints.
WIDGET_CALENDAR = "Dr. Rivera"


def widget_calendar_id(db: Database) -> str:
    with db.read() as session:
        return session.scalars(
            select(Calendar.id).where(
                Calendar.location_id == DEMO_LOCATION_ID,
                Calendar.name == WIDGET_CALENDAR,
                Calendar.deleted.is_(False),
            )
        ).one()


def demo_secret(key: bytes, counter: int) -> str:
    """The demo token's secret number `counter`, shaped like any other token's."""
    message = f"opencalendars demo token {DEMO_LOCATION_ID} {counter}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return admin_service.TOKEN_PREFIX + str(uuid.UUID(bytes=digest[:16], version=4))


def demo_token(db: Database) -> str:
    """The demo location's live demo token: the first derived secret that is not revoked,
    made a token if it is not one yet. Processes starting together derive the same secret:
    the unique index on token hashes lets one of them create it, and the others use it."""
    # The database's own key even when OPENCALENDARS_WEBHOOK_ED25519_KEY_FILE is set, so
    # that the demo token does not change with the webhook settings.
    key = signing.private_key(db, ED25519, None).private_bytes_raw()
    counter = 0
    while True:
        secret = demo_secret(key, counter)
        token = admin_service.token_with_secret(db, secret)
        if token is None:
            try:
                admin_service.create_token(db, DEMO_LOCATION_ID, None, name="demo", secret=secret)
            except IntegrityError:
                if admin_service.token_with_secret(db, secret) is None:
                    raise
                continue  # another process created it first: look again
            return secret
        if token.revoked_ms is None:
            return secret
        counter += 1


def seed_groups(db: Database) -> dict[str, str]:
    """The groups by slug."""
    created = {}
    for name, description, slug, is_active in DEMO_GROUPS:
        created[slug] = group_service.create_group(
            db,
            GroupCreateDTO(
                locationId=DEMO_LOCATION_ID,
                name=name,
                description=description,
                slug=slug,
                isActive=is_active,
            ),
        ).id
    return created


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
NINE_TO_FIVE = [
    {"type": "wday", "day": day, "intervals": [{"from": "09:00", "to": "17:00"}]}
    for day in WEEKDAYS
]


def seed_calendars(db: Database, groups: dict[str, str]) -> dict[str, str]:
    """A calendar of every type; returns their ids by type."""
    definitions = {
        "event": {"name": "Open day tour", "slotDuration": 60, "appoinmentPerSlot": 20},
        "personal": {
            "name": "Dr. Rivera",
            "groupId": groups["consultations"],
            "teamMembers": [{"userId": "anna-rivera"}],
            "slotBuffer": 10,
            "allowBookingAfter": 2,
            "allowBookingAfterUnit": "hours",
        },
        "round_robin": {
            "name": "Sales call",
            "groupId": groups["consultations"],
            "teamMembers": [
                {"userId": "ben-okafor", "priority": 1},
                {"userId": "chloe-martin", "priority": 0.5},
            ],
            "slotDuration": 45,
            "slotInterval": 15,
            "allowBookingFor": 4,
            "allowBookingForUnit": "weeks",
        },
        "collective": {
            "name": "Panel interview",
            "teamMembers": [
                {"userId": "anna-rivera", "isPrimary": True},
                {"userId": "ben-okafor"},
            ],
            "slotDuration": 1,
            "slotDurationUnit": "hours",
            "openHours": [
                {
                    "daysOfTheWeek": [2, 4],
                    "hours": [{"openHour": 13, "openMinute": 0, "closeHour": 17, "closeMinute": 0}],
                }
            ],
        },
        "class_booking": {
            "name": "Morning yoga",
            "groupId": groups["workshops"],
            "teamMembers": [{"userId": "chloe-martin"}],
            "slotDuration": 60,
            "appoinmentPerSlot": 12,
        },
        "service_booking": {
            "name": "Massage",
            "teamMembers": [{"userId": "dev-patel"}, {"userId": "chloe-martin"}],
            "slotDuration": 50,
            "slotBuffer": 10,
        },
    }
    created = {}
    for calendar_type, fields in definitions.items():
        dto = CalendarCreateDTO.model_validate(
            {"locationId": DEMO_LOCATION_ID, "calendarType": calendar_type, **fields}
        )
        created[calendar_type] = calendar_service.create_calendar(db, dto).id
    return created


def seed_schedules(db: Database, calendars: dict[str, str]) -> None:
    """Nine-to-five schedules for the staff, and the open day's own hours."""
    staff_calendars = {
        "anna-rivera": [calendars["personal"]],
        "ben-okafor": [calendars["round_robin"]],
        "chloe-martin": [calendars["round_robin"], calendars["class_booking"]],
        "dev-patel": [calendars["service_booking"]],
    }
    for user_id, calendar_ids in staff_calendars.items():
        schedule_service.create_schedule(
            db,
            CreateScheduleDTO.model_validate(
                {
                    "locationId": DEMO_LOCATION_ID,
                    "name": "Working hours",
                    "userId": user_id,
                    "timezone": DEMO_TIMEZONE,
                    "rules": NINE_TO_FIVE,
                    "calendarIds": calendar_ids,
                }
            ),
        )
    saturdays = [
        {"type": "wday", "day": "saturday", "intervals": [{"from": "10:00", "to": "14:00"}]}
    ]
    schedule_service.create_event_schedule(
        db,
        DEMO_LOCATION_ID,
        calendars["event"],
        dto=CreateEventCalendarScheduleDTO.model_validate(
            {"timezone": DEMO_TIMEZONE, "rules": saturdays}
        ),
    )


def next_monday(db: Database) -> date:
    """The first Monday after today in the demo zone: demo bookings are in the future."""
    with db.read() as session:
        now_ms = clock.now_ms(session)
    tomorrow = window_end_ms(now_ms, 1, "days", zone_name=DEMO_TIMEZONE)
    first = datetime.fromtimestamp(tomorrow / 1000, tz=UTC).astimezone(zone(DEMO_TIMEZONE)).date()
    return first + timedelta(days=(7 - first.weekday()) % 7)


def at(day: date, hour: int, minute: int = 0) -> str:
    """A wall-clock time of the demo zone, as ISO 8601 with its offset."""
    return iso_local(local_instant_ms(day, hour * 60 + minute, DEMO_TIMEZONE), zone(DEMO_TIMEZONE))


def seed_contacts(db: Database) -> list[str]:
    """The demo's contacts, in `DEMO_CONTACTS` order: their ids."""
    return [
        contact_service.create_contact(
            db,
            CreateContactDto.model_validate(
                {
                    "locationId": DEMO_LOCATION_ID,
                    "firstName": first,
                    "lastName": last,
                    "email": f"{first}.{last}@example.com".lower(),
                    "phone": phone,
                    "tags": tags,
                    "source": "demo",
                }
            ),
        ).id
        for first, last, phone, tags in DEMO_CONTACTS
    ]


def seed_appointments(db: Database, calendars: dict[str, str], contacts: list[str]) -> None:
    """Bookings of every kind on the next weekdays, validated like any client's, one
    cancelled appointment and a weekly series. The first has no title: the calendar's
    `eventTitle` names its contact."""
    monday = next_monday(db)
    tuesday, thursday = monday + timedelta(days=1), monday + timedelta(days=3)
    bookings = [
        ("personal", at(monday, 9), {}),
        ("round_robin", at(monday, 10), {"title": "Pricing questions"}),
        ("round_robin", at(monday, 10), {"title": "Renewal"}),
        ("collective", at(tuesday, 13), {"title": "Final interview"}),
        ("class_booking", at(monday, 9), {"title": "Yoga"}),
        ("class_booking", at(monday, 9), {"title": "Yoga"}),
        ("service_booking", at(thursday, 10, 40), {"title": "Massage"}),
        (
            "personal",
            at(monday, 11),
            {"title": "Cancelled visit", "appointmentStatus": "cancelled"},
        ),
        (
            "personal",
            at(monday, 15),
            {
                "title": "Weekly check-in",
                "rrule": "RRULE:FREQ=WEEKLY;COUNT=6",
                "ignoreFreeSlotValidation": True,
            },
        ),
    ]
    for (calendar_type, start, extra), contact in zip(bookings, contacts, strict=True):
        body = AppointmentCreateSchema.model_validate(
            {
                "calendarId": calendars[calendar_type],
                "locationId": DEMO_LOCATION_ID,
                "contactId": contact,
                "startTime": start,
                **extra,
            }
        )
        appointment_service.create_appointment_in_thread(
            db,
            LocationContext(DEMO_LOCATION_ID, DEMO_TIMEZONE),
            body,
            times=body_times(body, zone(DEMO_TIMEZONE)),
        )


def seed_resources(db: Database, calendars: dict[str, str]) -> None:
    """A treatment room for two and a hot-stone kit (one of two out of service) for the spa."""
    spa = calendars["service_booking"]
    for resource_type, fields in (
        ("rooms", {"name": "Treatment room", "capacity": 2}),
        ("equipments", {"name": "Hot-stone kit", "quantity": 2, "outOfService": 1}),
    ):
        resource_service.create_resource(
            db,
            resource_type,
            CreateCalendarResourceDTO.model_validate(
                {"locationId": DEMO_LOCATION_ID, "calendarIds": [spa], **fields}
            ),
        )


def seed_notifications(db: Database, calendars: dict[str, str]) -> None:
    """One notification of each type on Dr. Rivera's calendar."""
    email = {"receiverType": "contact", "channel": "email"}
    items = [
        {**email, "notificationType": kind, "subject": f"Your appointment: {kind}"}
        for kind in ("booked", "confirmation", "cancellation", "reschedule")
    ]
    items += [
        {
            **email,
            "notificationType": "reminder",
            "beforeTime": [{"timeOffset": 1, "unit": "days"}],
        },
        {
            "receiverType": "assignedUser",
            "channel": "inApp",
            "notificationType": "followup",
            "afterTime": [{"timeOffset": 2, "unit": "hours"}],
        },
    ]
    notification_service.create_notifications(
        db,
        DEMO_LOCATION_ID,
        calendars["personal"],
        dtos=[CreateCalendarNotificationDTO.model_validate(item) for item in items],
    )


def seed_service_locations(db: Database) -> None:
    """The studio (the default) and home visits, where the booker says where."""
    for fields in (
        {"name": "Main studio", "slug": "main-studio", "address": "12 Park Avenue, New York"},
        {"name": "Home visits", "slug": "home-visits", "locationType": "ask_booker"},
    ):
        service_locations.create_place(
            db, CreateServiceLocationDTO.model_validate({"locationId": DEMO_LOCATION_ID, **fields})
        )


def seed_services(db: Database, contacts: list[str]) -> None:
    """A salon menu given by two stylists with their own hours, and bookings of it for two
    `contacts`."""
    for user_id in ("eva-lopez", "finn-walsh"):
        schedule_service.create_schedule(
            db,
            CreateScheduleDTO.model_validate(
                {
                    "locationId": DEMO_LOCATION_ID,
                    "name": "Salon hours",
                    "userId": user_id,
                    "timezone": DEMO_TIMEZONE,
                    "rules": NINE_TO_FIVE,
                }
            ),
        )
    menu = [
        {
            "name": "Haircut",
            "slug": "haircut",
            "serviceCategoryId": "hair",
            "staff": [{"id": "eva-lopez"}, {"id": "finn-walsh"}],
            "postBuffer": 10,
            "payment": {"amount": 45},
            "variations": [{"name": "Long hair", "serviceDuration": 45, "payment": {"amount": 60}}],
        },
        {
            "name": "Colour",
            "slug": "colour",
            "serviceCategoryId": "hair",
            "staff": [{"id": "finn-walsh"}],
            "serviceDuration": 1,
            "serviceDurationUnit": "hours",
            "payment": {"amount": 90, "deposit": 20, "depositType": "percentage"},
        },
        {
            "name": "Beard trim",
            "slug": "beard-trim",
            "staff": [{"id": "eva-lopez"}],
            "serviceDuration": 20,
            "isPrivate": True,
        },
    ]
    services = {
        item["slug"]: service_catalog.create_service(
            db, CreateServiceDTO.model_validate({"locationId": DEMO_LOCATION_ID, **item})
        ).id
        for item in menu
    }
    wednesday = next_monday(db) + timedelta(days=2)
    with db.read() as session:
        home_visits = session.scalar(
            service_locations.live_places(DEMO_LOCATION_ID).where(
                ServiceLocation.slug == "home-visits"
            )
        ).id
    bookings = [
        # Colour then a haircut with a wash add-on: 60 + 30 + 15 minutes.
        {
            "contactId": contacts[0],
            "startTime": at(wednesday, 9),
            "endTime": at(wednesday, 10, 45),
            "services": [
                {"id": services["colour"], "position": 0},
                {
                    "id": services["haircut"],
                    "position": 1,
                    "addOns": [{"id": "wash", "duration": 15}],
                },
            ],
        },
        {
            "contactId": contacts[1],
            "startTime": at(wednesday, 14),
            "endTime": at(wednesday, 14, 20),
            "services": [{"id": services["beard-trim"]}],
            "serviceLocationId": home_visits,
            "meetingLocation": "220 West 12th Street, New York",
        },
    ]
    for booking in bookings:
        service_bookings.create_booking(
            db,
            LocationContext(DEMO_LOCATION_ID, DEMO_TIMEZONE),
            CreatePublicServiceBookingDTO.model_validate(
                {"locationId": DEMO_LOCATION_ID, "timezone": DEMO_TIMEZONE, **booking}
            ),
            checks=service_bookings.Checks(),
        )
