"""Bookings and contacts (PRODUCT §14, docs/contacts.md "Bookings and contacts"): the location's
`requireContacts` flag (admin API, on for new locations), what it refuses, titles rendered from
the calendar's `eventTitle` for the contact, and a deleted contact's appointments."""

import pytest
from alembic import command
from sqlalchemy import column, func, insert, select, table

from api.slot_helpers import ZONE, make_calendar
from opencalendars.admin import service as admin_service
from opencalendars.admin.models import Location
from opencalendars.appointments.models import Appointment
from opencalendars.db.database import Database
from opencalendars.db.migrate import alembic_config, upgrade
from opencalendars.http.auth import ALL_SCOPES
from opencalendars.services.models import ServiceBooking
from support.api import ADMIN_HEADERS, Tenant
from support.databases import fresh_database

NINE = "2026-03-02T09:00:00-05:00"  # a Monday
TEN = "2026-03-02T10:00:00-05:00"
CONTACT_NOT_FOUND = {"statusCode": 404, "message": "Contact not found", "error": "Not Found"}
# The locations table as revision 0011 left it (the columns without a server default).
LOCATIONS_AT_0011 = table(
    "locations", column("id"), column("name"), column("timezone"), column("date_added_ms")
)
MONDAY_HOURS = [{"type": "wday", "day": "monday", "intervals": [{"from": "09:00", "to": "17:00"}]}]


@pytest.fixture(autouse=True)
def before_march(frozen_clock):
    frozen_clock("2026-02-27T12:00:00Z")
    return frozen_clock


def new_location(client, **fields) -> dict:
    response = client.post(
        "/admin/locations",
        json={"name": "Clinic", "timezone": ZONE, **fields},
        headers=ADMIN_HEADERS,
    )
    assert response.status_code == 201, response.text
    return response.json()["location"]


def tenant_of(client, location: dict) -> Tenant:
    token = client.post(
        "/admin/tokens",
        json={"locationId": location["id"], "scopes": list(ALL_SCOPES)},
        headers=ADMIN_HEADERS,
    )
    assert token.status_code == 201, token.text
    return Tenant(client, location["id"], token.json()["token"], token.json()["id"])


@pytest.fixture
def clinic(client) -> Tenant:
    """A location made the way an operator makes one today: it requires contacts."""
    return tenant_of(client, new_location(client))


@pytest.fixture
def legacy(client) -> Tenant:
    """A location whose contacts live in another system."""
    return tenant_of(client, new_location(client, requireContacts=False))


def contact(tenant, **fields) -> dict:
    response = tenant.post("/contacts/", json={"locationId": tenant.location_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()["contact"]


def book(tenant, calendar_id, contact_id, start=NINE, **fields):
    body = {
        "calendarId": calendar_id,
        "locationId": tenant.location_id,
        "contactId": contact_id,
        "startTime": start,
        **fields,
    }
    return tenant.post("/calendars/events/appointments", json=body)


def stored(app, model, location_id) -> int:
    with app.state.db.read() as session:
        return session.scalar(select(func.count()).where(model.location_id == location_id))


# ---- the admin flag ----------------------------------------------------------------------------


def test_a_new_location_requires_contacts_and_says_so(client):
    location = new_location(client)

    assert location == {
        "id": location["id"],
        "name": "Clinic",
        "timezone": ZONE,
        "requireContacts": True,
        "country": None,
        "allowDuplicateContacts": False,
        "companyId": None,
    }
    listed = client.get("/admin/locations", headers=ADMIN_HEADERS).json()["locations"]
    assert location in listed


def test_the_contact_settings_are_set_on_create_and_changed_by_put(client):
    location = new_location(client, requireContacts=False, country="de")
    assert (location["requireContacts"], location["country"]) == (False, "DE")
    path = f"/admin/locations/{location['id']}"

    changed = client.put(
        path, json={"requireContacts": True, "allowDuplicateContacts": True}, headers=ADMIN_HEADERS
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["location"] == {
        **location,
        "requireContacts": True,
        "allowDuplicateContacts": True,
    }
    renamed = client.put(path, json={"name": "Clinic 2", "country": None}, headers=ADMIN_HEADERS)
    assert renamed.json()["location"] == {
        **changed.json()["location"],
        "name": "Clinic 2",
        "country": None,
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"requireContacts": "no"}, "requireContacts must be a boolean value"),
        ({"country": "XX"}, "country must be an ISO 3166-1 alpha-2 country code (US, DE...)"),
        ({"country": "USA"}, "country must be an ISO 3166-1 alpha-2 country code (US, DE...)"),
        ({"name": ""}, "name should not be empty"),
    ],
)
def test_bad_location_settings_are_refused_and_nothing_changes(client, body, message):
    location = new_location(client)

    response = client.put(f"/admin/locations/{location['id']}", json=body, headers=ADMIN_HEADERS)

    assert response.status_code == 400
    assert response.json()["message"] == [message]
    listed = client.get("/admin/locations", headers=ADMIN_HEADERS).json()["locations"]
    assert location in listed


def test_an_unknown_location_cannot_be_changed(client):
    response = client.put(
        "/admin/locations/nowhere", json={"requireContacts": False}, headers=ADMIN_HEADERS
    )

    assert response.status_code == 404
    assert response.json()["message"] == "Location not found"


# ---- appointments ------------------------------------------------------------------------------


def test_booking_for_a_live_contact_titles_it_with_the_contact_s_name(clinic):
    calendar_id = make_calendar(clinic)
    ann = contact(clinic, firstName="Ann", lastName="Lee", email="ann@example.com")

    response = book(clinic, calendar_id, ann["id"])

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Ann Lee"
    assert response.json()["contactId"] == ann["id"]


@pytest.mark.parametrize("whose", ["unknown", "deleted", "another location's"])
def test_booking_for_no_live_contact_of_the_location_is_a_404(app, client, clinic, whose):
    calendar_id = make_calendar(clinic)
    if whose == "unknown":
        contact_id = "nobody"
    elif whose == "deleted":
        contact_id = contact(clinic, firstName="Gone")["id"]
        assert clinic.delete(f"/contacts/{contact_id}").status_code == 200
    else:
        contact_id = contact(tenant_of(client, new_location(client)), firstName="Elsewhere")["id"]

    response = book(clinic, calendar_id, contact_id, title="Visit")

    assert response.status_code == 404
    assert response.json() == CONTACT_NOT_FOUND
    assert stored(app, Appointment, clinic.location_id) == 0


def test_a_booking_with_several_faults_answers_the_first_in_docs_order(clinic):
    """docs/appointments.md: the calendar, then the time and the assignee, then the contact,
    then the slot."""
    calendar_id = make_calendar(clinic)
    ann = contact(clinic, firstName="Ann")["id"]
    assert book(clinic, calendar_id, ann).status_code == 200  # 09:00 is taken

    stranger = book(clinic, calendar_id, "nobody", assignedUserId="stranger")
    backwards = book(clinic, calendar_id, "nobody", start=TEN, endTime=NINE)
    nobody_at_nine = book(clinic, calendar_id, "nobody")
    no_calendar = book(clinic, "no-such-calendar", "nobody", assignedUserId="stranger")

    assert stranger.json()["message"] == ["assignedUserId must be a team member of this calendar"]
    assert backwards.json()["message"] == ["endTime must be after startTime"]
    assert nobody_at_nine.json() == CONTACT_NOT_FOUND
    assert no_calendar.status_code == 404 and no_calendar.json()["message"] != "Contact not found"


def test_without_the_requirement_any_contact_id_books_titled_with_the_calendar(legacy):
    calendar_id = make_calendar(legacy)

    response = book(legacy, calendar_id, "crm-contact-17")

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "personal calendar"
    assert response.json()["contactId"] == "crm-contact-17"


def test_turning_the_requirement_on_applies_to_the_next_booking(client, legacy):
    calendar_id = make_calendar(legacy)
    assert book(legacy, calendar_id, "crm-contact-17").status_code == 200

    client.put(
        f"/admin/locations/{legacy.location_id}",
        json={"requireContacts": True},
        headers=ADMIN_HEADERS,
    )

    assert book(legacy, calendar_id, "crm-contact-17", start=TEN).status_code == 404


def test_the_event_title_template_is_rendered_with_contact_and_calendar(clinic):
    template = (
        "{{contact.first_name}}|{{ contact.last_name }}|{{contact.email}}|{{contact.phone}}"
        "|{{calendar.name}}|{{contact.nickname}}"
    )
    calendar_id = make_calendar(clinic, eventTitle=template)
    ann = contact(
        clinic, firstName="Ann", lastName="Lee", email="Ann@Example.com", phone="212 555 0101"
    )

    appointment = book(clinic, calendar_id, ann["id"]).json()

    assert appointment["title"] == (
        "Ann|Lee|Ann@Example.com|+12125550101|personal calendar|{{contact.nickname}}"
    )
    # A title given wins over the template.
    given = book(clinic, calendar_id, ann["id"], start=TEN, title="Check-up").json()
    assert given["title"] == "Check-up"


def test_a_contact_without_a_name_gets_the_calendar_s_name(clinic):
    calendar_id = make_calendar(clinic)
    nameless = contact(clinic, email="someone@example.com")

    assert book(clinic, calendar_id, nameless["id"]).json()["title"] == "personal calendar"


def test_the_title_is_kept_when_the_contact_is_renamed(clinic):
    calendar_id = make_calendar(clinic)
    ann = contact(clinic, firstName="Ann", lastName="Lee")
    appointment = book(clinic, calendar_id, ann["id"]).json()

    clinic.put(f"/contacts/{ann['id']}", json={"firstName": "Anne"})

    read = clinic.get(f"/calendars/events/appointments/{appointment['id']}").json()
    assert read["appointment"]["title"] == "Ann Lee"


def test_a_deleted_contact_s_appointments_stay_and_can_be_cancelled_but_not_booked_again(clinic):
    calendar_id = make_calendar(clinic)
    ann = contact(clinic, firstName="Ann")
    appointment = book(clinic, calendar_id, ann["id"]).json()
    path = f"/calendars/events/appointments/{appointment['id']}"
    assert clinic.delete(f"/contacts/{ann['id']}").status_code == 200

    read = clinic.get(path)
    assert read.status_code == 200
    assert read.json()["appointment"]["contactId"] == ann["id"]
    assert clinic.get(f"/contacts/{ann['id']}").status_code == 404
    # Edits that do not take time again are housekeeping: allowed.
    assert clinic.put(path, json={"title": "Ann (left)"}).status_code == 200
    assert clinic.put(path, json={"appointmentStatus": "cancelled"}).status_code == 200
    # Taking time again is a booking, for a live contact only.
    revived = clinic.put(path, json={"appointmentStatus": "confirmed"})
    assert revived.status_code == 404
    assert revived.json()["message"] == "Contact not found"
    assert clinic.get(path).json()["appointment"]["appointmentStatus"] == "cancelled"


def test_moving_a_deleted_contact_s_appointment_is_refused(clinic):
    calendar_id = make_calendar(clinic)
    ann = contact(clinic, firstName="Ann")
    appointment = book(clinic, calendar_id, ann["id"]).json()
    clinic.delete(f"/contacts/{ann['id']}")
    path = f"/calendars/events/appointments/{appointment['id']}"

    moved = clinic.put(path, json={"startTime": TEN})

    assert moved.status_code == 404
    assert clinic.get(path).json()["appointment"]["startTime"] == NINE


# ---- service bookings --------------------------------------------------------------------------


@pytest.fixture
def salon(clinic):
    response = clinic.post(
        "/calendars/schedules",
        json={
            "locationId": clinic.location_id,
            "name": "ann services",
            "userId": "ann",
            "timezone": ZONE,
            "rules": MONDAY_HOURS,
        },
    )
    assert response.status_code == 201, response.text
    place = clinic.post(
        "/calendars/services/locations",
        json={
            "locationId": clinic.location_id,
            "name": "Studio",
            "slug": "studio",
            "address": "1 Main St",
        },
    )
    assert place.status_code == 201, place.text
    service = clinic.post(
        "/calendars/services/catalog",
        json={
            "locationId": clinic.location_id,
            "name": "Haircut",
            "slug": "haircut",
            "staff": [{"id": "ann"}],
        },
    )
    assert service.status_code == 201, service.text
    clinic.haircut = service.json()["service"]["id"]
    return clinic


def book_service(tenant, contact_id, start=NINE):
    end = start.replace(":00:00-", ":30:00-")
    return tenant.post(
        "/calendars/services/bookings",
        json={
            "locationId": tenant.location_id,
            "contactId": contact_id,
            "startTime": start,
            "endTime": end,
            "timezone": ZONE,
            "services": [{"id": tenant.haircut}],
        },
    )


def test_a_service_booking_needs_a_live_contact(app, salon):
    refused = book_service(salon, "nobody")
    assert refused.status_code == 404
    assert refused.json()["message"] == "Contact not found"
    assert stored(app, ServiceBooking, salon.location_id) == 0

    ann = contact(salon, firstName="Ann")
    booked = book_service(salon, ann["id"])
    assert booked.status_code == 201, booked.text


def test_a_deleted_contact_s_service_booking_can_be_cancelled_not_revived(salon):
    ann = contact(salon, firstName="Ann")
    booking = book_service(salon, ann["id"]).json()
    path = f"/calendars/services/bookings/{booking['bookingId']}"
    salon.delete(f"/contacts/{ann['id']}")

    assert salon.put(path, json={"status": "cancelled"}).status_code == 200
    revived = salon.put(path, json={"status": "confirmed"})
    assert revived.status_code == 404
    assert revived.json()["message"] == "Contact not found"


# ---- locations made before contacts existed ----------------------------------------------------


def test_locations_of_an_older_release_keep_booking_for_any_contact_id(tmp_path):
    """Revision 0012 adds the flag off for the locations that exist (their bookings name
    contacts of another system); a location made afterwards requires contacts."""
    with fresh_database(tmp_path) as url:
        db = Database(url)
        try:
            with db.engine.connect() as connection:
                command.upgrade(alembic_config(connection), "0011")
                connection.commit()
            with db.engine.begin() as connection:
                connection.execute(
                    insert(LOCATIONS_AT_0011),
                    {"id": "older", "name": "Older", "timezone": "UTC", "date_added_ms": 0},
                )
            upgrade(db)
            newer = admin_service.create_location(db, "Newer", "UTC", location_id="newer")

            with db.read() as session:
                assert session.get(Location, "older").require_contacts is False
            assert newer.require_contacts is True
        finally:
            db.dispose()


def test_a_title_template_is_bounded(clinic):
    """A template full of placeholders could otherwise make every booking's title megabytes."""
    response = clinic.post(
        "/calendars/",
        json={
            "locationId": clinic.location_id,
            "name": "Long",
            "eventTitle": "{{contact.name}}" * 32,
        },
    )

    assert response.status_code == 400
    assert response.json()["message"] == [
        "eventTitle must be shorter than or equal to 500 characters"
    ]
