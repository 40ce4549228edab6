"""Every field a calendar is created with reads back as written, and `PUT` takes every one of
them too (PRODUCT §12, issue: `description` was accepted and silently dropped). The field list
comes from the contract extract, so a field the spec adds cannot be forgotten silently."""

import pytest

from support.api import create_tenant
from support.contract import contract


def writable_create_fields() -> set[str]:
    """CalendarCreateDTO's properties, less what the spec marks read-only (`meetingLocation`).
    Deprecated ones are still taken, as the spec promises for backward compatibility."""
    properties = contract()["components"]["schemas"]["CalendarCreateDTO"]["properties"]
    return {name for name, facts in properties.items() if not facts.get("readOnly")}


def every_field(tenant, group_id: str) -> dict:
    """A valid value for every field of the create DTO."""
    return {
        "isActive": True,
        "notifications": [
            {
                "type": "email",
                "shouldSendToContact": True,
                "shouldSendToGuest": False,
                "shouldSendToUser": True,
                "shouldSendToSelectedUsers": False,
                "selectedUsers": "",
            }
        ],
        "locationId": tenant.location_id,
        "groupId": group_id,
        "teamMembers": [
            {
                "userId": "ann",
                "priority": 1,
                "isPrimary": True,
                "locationConfigurations": [{"kind": "physical", "location": "Main St 1"}],
            }
        ],
        "eventType": "RoundRobin_OptimizeForEqualDistribution",
        "name": "Every field",
        "description": "Written once, read back",
        "slug": "every-field",
        "widgetSlug": "every-field-widget",
        "calendarType": "personal",
        "widgetType": "default",
        "eventTitle": "Visit of {{contact.name}}",
        "eventColor": "#123456",
        "locationConfigurations": [{"kind": "custom", "location": "Room 2"}],
        "slotDuration": 45,
        "slotDurationUnit": "mins",
        "slotInterval": 15,
        "slotIntervalUnit": "mins",
        "slotBuffer": 5,
        "slotBufferUnit": "mins",
        "preBuffer": 1,
        "preBufferUnit": "hours",
        "appoinmentPerSlot": 1,
        "appoinmentPerDay": 3,
        "allowBookingAfter": 2,
        "allowBookingAfterUnit": "hours",
        "allowBookingFor": 30,
        "allowBookingForUnit": "days",
        "openHours": [
            {
                "daysOfTheWeek": [1, 2],
                "hours": [{"openHour": 9, "openMinute": 0, "closeHour": 17, "closeMinute": 0}],
            }
        ],
        "enableRecurring": True,
        "recurring": {
            "freq": "WEEKLY",
            "count": 4,
            "bookingOption": "skip",
            "bookingOverlapDefaultStatus": "confirmed",
        },
        "formId": "form-1",
        "stickyContact": True,
        "isLivePaymentMode": False,
        "autoConfirm": False,
        "shouldSendAlertEmailsToAssignedMember": True,
        "alertEmail": "desk@example.com",
        "googleInvitationEmails": True,
        "allowReschedule": False,
        "allowCancellation": False,
        "shouldAssignContactToTeamMember": True,
        "shouldSkipAssigningContactForExisting": True,
        "notes": "Bring an ID",
        "pixelId": "px-1",
        "formSubmitType": "RedirectURL",
        "formSubmitRedirectURL": "https://example.com/thanks",
        "formSubmitThanksMessage": "Thanks!",
        "availabilityType": 1,
        "availabilities": [
            {
                "date": "2026-03-03T00:00:00.000Z",
                "hours": [{"openHour": 10, "openMinute": 0, "closeHour": 12, "closeMinute": 0}],
                "deleted": False,
            }
        ],
        "guestType": "collect_detail",
        "consentLabel": "I agree to be contacted",
        "calendarCoverImage": "https://example.com/cover.png",
        "lookBusyConfig": {"enabled": True, "LookBusyPercentage": 20},
    }


def changed(fields: dict, group_id: str) -> dict:
    """Another valid value for every field (the location and the type stay)."""
    return {
        **fields,
        "isActive": False,
        "notifications": [{**fields["notifications"][0], "shouldSendToGuest": True}],
        "groupId": group_id,
        "teamMembers": [{**fields["teamMembers"][0], "priority": 0}],
        "eventType": "RoundRobin_OptimizeForAvailability",
        "name": "Every field, changed",
        "description": "Changed by PUT",
        "slug": "every-field-changed",
        "widgetSlug": "every-field-widget-changed",
        "widgetType": "classic",
        "eventTitle": "{{contact.name}}",
        "eventColor": "#654321",
        "locationConfigurations": [{"kind": "inbound_call", "location": "+1 555 0100"}],
        "slotDuration": 1,
        "slotDurationUnit": "hours",
        "slotInterval": 2,
        "slotIntervalUnit": "hours",
        "slotBuffer": 1,
        "slotBufferUnit": "hours",
        "preBuffer": 15,
        "preBufferUnit": "mins",
        "appoinmentPerSlot": 2,
        "appoinmentPerDay": 4,
        "allowBookingAfter": 1,
        "allowBookingAfterUnit": "days",
        "allowBookingFor": 2,
        "allowBookingForUnit": "weeks",
        "openHours": [
            {
                "daysOfTheWeek": [3],
                "hours": [{"openHour": 8, "openMinute": 30, "closeHour": 12, "closeMinute": 0}],
            }
        ],
        "enableRecurring": False,
        "recurring": {**fields["recurring"], "freq": "DAILY", "count": 2},
        "formId": "form-2",
        "stickyContact": False,
        "isLivePaymentMode": True,
        "autoConfirm": True,
        "shouldSendAlertEmailsToAssignedMember": False,
        "alertEmail": "front@example.com",
        "googleInvitationEmails": False,
        "allowReschedule": True,
        "allowCancellation": True,
        "shouldAssignContactToTeamMember": False,
        "shouldSkipAssigningContactForExisting": False,
        "notes": "Nothing to bring",
        "pixelId": "px-2",
        "formSubmitType": "ThankYouMessage",
        "formSubmitRedirectURL": "https://example.com/other",
        "formSubmitThanksMessage": "See you",
        "availabilityType": 0,
        "availabilities": [
            {
                # The same date: an update merges by date (docs/calendars.md).
                "date": "2026-03-03T00:00:00.000Z",
                "hours": [{"openHour": 13, "openMinute": 0, "closeHour": 15, "closeMinute": 0}],
                "deleted": False,
            }
        ],
        "guestType": "count_only",
        "consentLabel": "Yes",
        "calendarCoverImage": "https://example.com/other.png",
        "lookBusyConfig": {"enabled": False, "LookBusyPercentage": 0},
    }


def missing(sent, answered, path="") -> list[str]:
    """Where `answered` does not hold what was `sent` (answers may add keys, e.g. ids)."""
    if isinstance(sent, dict):
        if not isinstance(answered, dict):
            return [path or "."]
        return [
            problem
            for key, value in sent.items()
            for problem in (
                missing(value, answered[key], f"{path}.{key}")
                if key in answered
                else [f"{path}.{key}"]
            )
        ]
    if isinstance(sent, list):
        if not isinstance(answered, list) or len(sent) != len(answered):
            return [path]
        return [p for i, item in enumerate(sent) for p in missing(item, answered[i], f"{path}.{i}")]
    return [] if sent == answered else [f"{path}: sent {sent!r}, read {answered!r}"]


@pytest.fixture
def tenant(client):
    return create_tenant(client, timezone="America/New_York")


def group(tenant, slug):
    response = tenant.post(
        "/calendars/groups",
        json={"locationId": tenant.location_id, "name": slug, "description": "", "slug": slug},
    )
    assert response.status_code == 201, response.text
    return response.json()["group"]["id"]


def test_every_field_of_the_create_dto_reads_back_and_put_changes_each(tenant):
    fields = every_field(tenant, group(tenant, "first"))
    assert set(fields) == writable_create_fields()  # the walk covers the whole DTO

    created = tenant.post("/calendars/", json=fields)
    assert created.status_code == 200, created.text
    calendar_id = created.json()["calendar"]["id"]
    read = tenant.get(f"/calendars/{calendar_id}").json()["calendar"]
    assert missing(fields, created.json()["calendar"]) == []
    assert missing(fields, read) == []

    update = changed(fields, group(tenant, "second"))
    assert {key for key in update if update[key] != fields[key]} == set(fields) - {
        "locationId",
        "calendarType",
    }
    put = tenant.put(f"/calendars/{calendar_id}", json=update)
    assert put.status_code == 200, put.text
    assert missing(update, put.json()["calendar"]) == []
    assert missing(update, tenant.get(f"/calendars/{calendar_id}").json()["calendar"]) == []


def test_description_round_trip(tenant):
    created = tenant.post(
        "/calendars/",
        json={"locationId": tenant.location_id, "name": "Intro", "description": "First visit"},
    ).json()["calendar"]
    path = f"/calendars/{created['id']}"

    assert created["description"] == "First visit"
    assert tenant.put(path, json={"description": "Second"}).json()["calendar"]["description"] == (
        "Second"
    )
    assert tenant.get(path).json()["calendar"]["description"] == "Second"
    assert "description" not in tenant.put(path, json={"description": None}).json()["calendar"]


def test_answers_carry_the_live_services_alias_and_defaults(tenant):
    created = tenant.post(
        "/calendars/",
        json={"locationId": tenant.location_id, "name": "Classes", "appoinmentPerSlot": 8},
    ).json()["calendar"]
    plain = tenant.post(
        "/calendars/", json={"locationId": tenant.location_id, "name": "Plain"}
    ).json()["calendar"]

    assert (created["appoinmentPerSlot"], created["appointmentPerSlot"]) == (8, 8)
    assert (plain["appoinmentPerSlot"], plain["appointmentPerSlot"]) == (1, 1)
    assert plain["eventColor"] == "#039BE5"


def test_put_keeps_the_type_and_the_location(tenant, other_tenant):
    created = tenant.post(
        "/calendars/", json={"locationId": tenant.location_id, "name": "Kept"}
    ).json()["calendar"]
    path = f"/calendars/{created['id']}"

    same = tenant.put(path, json={"calendarType": "event", "locationId": tenant.location_id})
    retyped = tenant.put(path, json={"calendarType": "personal"})
    elsewhere = tenant.put(path, json={"locationId": other_tenant.location_id})

    assert same.status_code == 200, same.text
    assert (retyped.status_code, retyped.json()["message"]) == (
        400,
        ["calendarType cannot be changed from event"],
    )
    assert (elsewhere.status_code, elsewhere.json()["message"]) == (
        403,
        "The token does not have access to this location",
    )
