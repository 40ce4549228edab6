"""Calendar notifications (PRODUCT §6): every operation, the rules, filters, soft delete."""

import re

import pytest

from api.slot_helpers import ZONE, make_calendar
from support.api import create_tenant

NOT_FOUND = {"statusCode": 404, "message": "Notification not found", "error": "Not Found"}
REMINDER = {
    "receiverType": "contact",
    "channel": "email",
    "notificationType": "reminder",
    "subject": "See you soon",
    "body": "Your appointment is at {{appointment.start_time}}",
    "beforeTime": [{"timeOffset": 1, "unit": "days"}, {"timeOffset": 2, "unit": "hours"}],
    "fromAddress": "desk@example.com",
    "fromName": "Front desk",
}


@pytest.fixture
def calendar_id(ny):
    return make_calendar(ny)


def create(tenant, calendar_id, *items):
    return tenant.post(f"/calendars/{calendar_id}/notifications", json=list(items))


def test_create_takes_an_array_and_answers_every_field(ny, calendar_id):
    booked = {"receiverType": "assignedUser", "channel": "inApp", "notificationType": "booked"}

    response = create(ny, calendar_id, REMINDER, booked)

    assert response.status_code == 200
    first, second = response.json()
    assert re.fullmatch(r"[A-Za-z0-9]{20}", first["_id"])
    assert first == {"_id": first["_id"], **REMINDER, "isActive": True, "deleted": False}
    assert second == {"_id": second["_id"], **booked, "isActive": True, "deleted": False}
    path = f"/calendars/{calendar_id}/notifications/{first['_id']}"
    assert ny.get(path).json() == first


@pytest.mark.parametrize(
    ("item", "messages"),
    [
        ({**REMINDER, "beforeTime": []}, ["0.beforeTime should not be empty for a reminder"]),
        (
            {"receiverType": "contact", "channel": "sms", "notificationType": "followup"},
            ["0.afterTime should not be empty for a followup"],
        ),
        (
            {"receiverType": "emails", "channel": "email", "notificationType": "booked",
             "additionalEmailIds": ["ok@example.com", "not-an-email"]},
            ["0.additionalEmailIds.1 must be an email"],
        ),
        (
            {"receiverType": "emails", "channel": "email", "notificationType": "booked"},
            ["0.additionalEmailIds should not be empty for emails"],
        ),
        (
            {"receiverType": "phoneNumbers", "channel": "sms", "notificationType": "booked",
             "additionalPhoneNumbers": ["call me"]},
            ["0.additionalPhoneNumbers.0 must be a phone number"],
        ),
        (
            {"receiverType": "robots", "channel": "fax", "notificationType": "booked"},
            [
                "0.receiverType must be one of the following values: "
                "contact, guest, assignedUser, emails, phoneNumbers, business",
                "0.channel must be one of the following values: email, inApp, sms, whatsapp",
            ],
        ),
    ],
)  # fmt: skip
def test_rules_are_checked_per_item(ny, calendar_id, item, messages):
    response = create(ny, calendar_id, item)

    assert response.status_code == 400
    assert response.json()["message"] == messages
    assert ny.get(f"/calendars/{calendar_id}/notifications").json() == []


def test_create_needs_an_array_with_something_in_it(ny, calendar_id):
    not_array = ny.post(f"/calendars/{calendar_id}/notifications", json=REMINDER)
    empty = create(ny, calendar_id)

    assert not_array.json()["message"] == ["request body must be an array"]
    assert empty.json()["message"] == [
        "request body should not be empty: send one or more notifications"
    ]


def test_update_is_partial_and_rechecks_the_rules(ny, calendar_id):
    created = create(ny, calendar_id, REMINDER).json()[0]
    path = f"/calendars/{calendar_id}/notifications/{created['_id']}"

    updated = ny.put(path, json={"subject": "Tomorrow!", "isActive": False})
    refused = ny.put(path, json={"beforeTime": []})

    assert updated.json() == {"message": "Notification updated successfully"}
    assert ny.get(path).json() == {**created, "subject": "Tomorrow!", "isActive": False}
    assert refused.json()["message"] == ["beforeTime should not be empty for a reminder"]


def test_delete_is_soft_and_lists_filter(ny, calendar_id):
    booked = {"receiverType": "guest", "channel": "email", "notificationType": "booked"}
    reminder, active, inactive = create(
        ny, calendar_id, REMINDER, booked, {**booked, "isActive": False}
    ).json()

    deleted = ny.delete(f"/calendars/{calendar_id}/notifications/{reminder['_id']}")

    def ids(**params):
        listed = ny.get(f"/calendars/{calendar_id}/notifications", params=params).json()
        return [n["_id"] for n in listed]

    assert deleted.json() == {"message": "Notification deleted successfully"}
    assert ids() == [active["_id"], inactive["_id"]]
    assert ids(deleted="true") == [reminder["_id"]]
    assert ids(isActive="false") == [inactive["_id"]]
    assert ids(limit=1, skip=1) == [inactive["_id"]]
    shown = ny.get(f"/calendars/{calendar_id}/notifications/{reminder['_id']}").json()
    assert shown["deleted"] is True


def test_unknown_and_foreign_calendars_and_notifications_are_404(ny, client, calendar_id):
    other = create_tenant(client, timezone=ZONE)
    theirs = make_calendar(other)
    their_notification = create(other, theirs, REMINDER).json()[0]
    mine = make_calendar(ny)

    assert create(ny, theirs, REMINDER).json()["message"] == "Calendar not found"
    assert ny.get(f"/calendars/{theirs}/notifications").status_code == 404
    for path in (
        f"/calendars/{calendar_id}/notifications/{their_notification['_id']}",
        f"/calendars/{mine}/notifications/{'n' * 20}",
    ):
        assert ny.get(path).json() == NOT_FOUND
        assert ny.put(path, json={"subject": "x"}).json() == NOT_FOUND
        assert ny.delete(path).json() == NOT_FOUND
