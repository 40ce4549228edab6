"""Notifications for a contact (`receiverType: "contact"`) reach the contact's own email and
phone as they are when the message is sent, and their texts name the contact as it was when
they were queued (docs/events.md "Notifications"). A real server, real workers, a real SMTP
server and an HTTP receiver for the SMS endpoint."""

import time

import pytest

from concurrency.races import calendar_with
from events.booking import book
from opencalendars.contacts.dnd import do_not_disturb
from opencalendars.events.delivery import Channels, email_addresses, send_sms, sms_body
from support.api import ADMIN_HEADERS, Tenant
from support.receivers import http_receiver, smtp_server
from support.server import live_worker

PATTERN = "{id}@contacts.example.com"
HOUR_BEFORE = [{"timeOffset": 1, "unit": "hours"}]


def add_contact(tenant, **fields) -> dict:
    response = tenant.post("/contacts/", json={"locationId": tenant.location_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()["contact"]


def notify(tenant, calendar_id, items: list[dict]) -> None:
    response = tenant.post(f"/calendars/{calendar_id}/notifications", json=items)
    assert response.status_code in (200, 201), response.text


def to_contact(kind: str, channel: str = "email", **fields) -> dict:
    return {"receiverType": "contact", "channel": channel, "notificationType": kind, **fields}


def location(sandbox, require_contacts: bool) -> Tenant:
    """A location that does (or does not) require bookings to name a live contact."""
    created = sandbox.admin.post(
        "/admin/locations",
        json={
            "name": "Walk-ins",
            "timezone": "America/New_York",
            "requireContacts": require_contacts,
        },
        headers=ADMIN_HEADERS,
    )
    assert created.status_code == 201, created.text
    location_id = created.json()["location"]["id"]
    assert created.json()["location"]["requireContacts"] is require_contacts
    token = sandbox.admin.post(
        "/admin/tokens", json={"locationId": location_id, "name": "tests"}, headers=ADMIN_HEADERS
    )
    assert token.status_code == 201, token.text
    return Tenant(sandbox.admin, location_id, token.json()["token"], token.json()["id"])


def envelope(message) -> str:
    return message["X-Envelope-To"]


def text(message) -> str:
    """The body as written (long lines come quoted-printable)."""
    return message.get_payload(decode=True).decode().strip()


def test_the_contact_gets_its_own_email_and_a_reminder_goes_to_its_new_address(sandbox, clock):
    tenant = sandbox.tenant()
    mary = add_contact(
        tenant, firstName="Mary", lastName="Lee", email="mary@example.com", phone="+1 415 555 0100"
    )
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    notify(
        tenant,
        calendar_id,
        [
            to_contact(
                "booked",
                subject="Hello {{contact.first_name}}",
                body="Dear {{contact.name}} ({{contact.email}}, {{contact.phone}}), "
                "{{appointment.title}} is booked. Ref {{contact.id}}.",
            ),
            to_contact(
                "reminder", beforeTime=HOUR_BEFORE, body="{{contact.first_name}}, see you soon."
            ),
        ],
    )
    env = {"OPENCALENDARS_CONTACT_EMAIL": PATTERN}
    with smtp_server() as mailbox:
        env["OPENCALENDARS_SMTP_URL"] = mailbox.url
        with live_worker(sandbox.database_url, sandbox.directory, **env):
            appointment = book(tenant, calendar_id, title="Haircut", contactId=mary["id"])
            (booked,) = mailbox.wait_for(1)
            assert envelope(booked) == "mary@example.com"
            assert booked["To"] == "mary@example.com"
            assert booked["Subject"] == "Hello Mary"
            assert text(booked) == (
                f"Dear Mary Lee (mary@example.com, +14155550100), Haircut is booked. "
                f"Ref {mary['id']}."
            )

            # Weeks before the reminder is due, the contact changes its address and name.
            changed = tenant.put(
                f"/contacts/{mary['id']}", json={"email": "mary.new@example.com", "firstName": "M"}
            )
            assert changed.status_code == 200, changed.text
            clock("2030-01-07T14:00:00Z")  # 09:00 in New York, an hour before
            mailbox.wait_for(2)
            time.sleep(0.3)

    reminder = mailbox.messages[1]
    assert envelope(reminder) == "mary.new@example.com"
    assert reminder["To"] == "mary.new@example.com"
    # The text was rendered when the reminder was queued: the name as it was then.
    assert text(reminder) == "Mary, see you soon."
    assert len(mailbox.messages) == 2
    messages = [m for m in sandbox.outbox(tenant) if m["appointmentId"] == appointment["id"]]
    assert {m["status"] for m in messages} == {"delivered"}
    # What was queued is kept as queued: the address is looked up on each send, not stored.
    for message in messages:
        assert message["payload"]["contactId"] == mary["id"]
        assert "contactEmail" not in message["payload"]


def test_a_text_reaches_the_contacts_phone_and_without_any_number_fails(sandbox, clock):
    tenant = sandbox.tenant()
    mary = add_contact(tenant, firstName="Mary", email="mary@example.com", phone="(415) 555-0100")
    nobody = add_contact(tenant, firstName="Nobody", email="nobody@example.com")
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    notify(
        tenant,
        calendar_id,
        [
            to_contact(
                "booked",
                channel="sms",
                body="Hi {{contact.first_name}}, see you at {{appointment.start_time}}",
                fromNumber="+15550123",
            ),
            to_contact(
                "confirmation",
                channel="whatsapp",
                additionalPhoneNumbers=["+15550199", "+14155550100"],
                body="Confirmed, {{contact.name}}",
            ),
        ],
    )
    with http_receiver() as texts:
        env = {"OPENCALENDARS_SMS_WEBHOOK_URL": texts.url}
        with live_worker(sandbox.database_url, sandbox.directory, **env):
            first = book(
                tenant, calendar_id, title="Haircut", contactId=mary["id"], appointmentStatus="new"
            )
            second = book(
                tenant,
                calendar_id,
                "2030-01-07T11:00:00-05:00",
                contactId=mary["id"],
                appointmentStatus="confirmed",
            )
            silent = book(
                tenant,
                calendar_id,
                "2030-01-07T12:00:00-05:00",
                contactId=nobody["id"],
                appointmentStatus="new",
            )
            messages = sandbox.settled(tenant)
            time.sleep(0.3)

    bodies = sorted(
        (r.json() for r in texts.received), key=lambda b: (b["notificationType"], b["body"])
    )
    assert [b["appointmentId"] for b in bodies] == [first["id"], second["id"], second["id"]]
    booked, second_booked, confirmed = bodies
    assert booked["notificationType"] == "booked"
    assert booked["phoneNumbers"] == ["+14155550100"]
    assert booked["contactPhone"] == "+14155550100"
    assert booked["contactId"] == mary["id"]
    assert booked["receiverType"] == "contact"
    assert booked["fromNumber"] == "+15550123"
    assert booked["body"] == "Hi Mary, see you at Monday, January 7, 2030 10:00 AM EST"
    assert second_booked["phoneNumbers"] == ["+14155550100"]
    # The contact's phone first, then the notification's own numbers, each once.
    assert confirmed["channel"] == "whatsapp"
    assert confirmed["phoneNumbers"] == ["+14155550100", "+15550199"]
    assert confirmed["contactPhone"] == "+14155550100"
    assert confirmed["body"] == "Confirmed, Mary"
    # A contact without a phone, and no other number: nothing to send to.
    (failed,) = [m for m in messages if m["appointmentId"] == silent["id"]]
    assert failed["status"] == "failed"
    assert failed["lastError"] == "no recipient phone number"
    assert len(failed["attempts"]) == 1


def test_without_the_contacts_email_the_pattern_is_used(sandbox, clock):
    tenant = location(sandbox, require_contacts=False)
    no_email = add_contact(tenant, firstName="Pat", phone="+14155550111")
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    notify(tenant, calendar_id, [to_contact("booked", subject="For {{contact.name}}!")])
    with smtp_server() as mailbox:
        env = {"OPENCALENDARS_SMTP_URL": mailbox.url, "OPENCALENDARS_CONTACT_EMAIL": PATTERN}
        with live_worker(sandbox.database_url, sandbox.directory, **env):
            book(tenant, calendar_id, contactId=no_email["id"])
            # A location that does not require contacts books for an id that names none.
            book(tenant, calendar_id, "2030-01-07T11:00:00-05:00", contactId="walk-in-1")
            mailbox.wait_for(2)
            time.sleep(0.3)

    sent = {envelope(message): message["Subject"] for message in mailbox.messages}
    assert sent == {
        f"{no_email['id']}@contacts.example.com": "For Pat!",
        "walk-in-1@contacts.example.com": "For !",
    }


def test_a_deleted_contact_gets_nothing(sandbox, clock):
    tenant = sandbox.tenant()
    gone = add_contact(tenant, firstName="Gone", email="gone@example.com", phone="+14155550122")
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    notify(
        tenant,
        calendar_id,
        [
            to_contact("booked"),
            to_contact("reminder", beforeTime=HOUR_BEFORE),
            to_contact("booked", channel="sms"),
            # The notification's own address still gets it.
            to_contact("booked", subject="Desk copy", additionalEmailIds=["desk@example.com"]),
        ],
    )
    appointment = book(tenant, calendar_id, contactId=gone["id"])
    deleted = tenant.delete(f"/contacts/{gone['id']}")
    assert deleted.status_code == 200, deleted.text
    with smtp_server() as mailbox, http_receiver() as texts:
        env = {
            "OPENCALENDARS_SMTP_URL": mailbox.url,
            "OPENCALENDARS_SMS_WEBHOOK_URL": texts.url,
            # Not a fallback for a deleted contact.
            "OPENCALENDARS_CONTACT_EMAIL": PATTERN,
        }
        with live_worker(sandbox.database_url, sandbox.directory, **env):
            mailbox.wait_for(1)
            clock("2030-01-07T14:00:00Z")
            messages = sandbox.settled(tenant)
            time.sleep(0.3)

    assert [(envelope(m), m["Subject"]) for m in mailbox.messages] == [
        ("desk@example.com", "Desk copy")
    ]
    assert texts.received == []
    outcome = sorted(
        (m["kind"], m["topic"], m["status"], m["lastError"])
        for m in messages
        if m["appointmentId"] == appointment["id"]
    )
    reason = f"(contact {gone['id']} is deleted)"
    assert outcome == [
        ("email", "booked", "delivered", None),
        ("email", "booked", "failed", f"no recipient address {reason}"),
        ("email", "reminder", "failed", f"no recipient address {reason}"),
        ("sms", "booked", "failed", f"no recipient phone number {reason}"),
    ]


def test_do_not_disturb_holds_back_the_channels_it_names(sandbox, clock):
    tenant = sandbox.tenant()
    no_email = add_contact(
        tenant,
        firstName="Quiet",
        email="quiet@example.com",
        phone="+14155550133",
        dndSettings={"email": {"status": "active", "message": "no mail"}},
    )
    silent = add_contact(
        tenant, firstName="Silent", email="silent@example.com", phone="+14155550144", dnd=True
    )
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    notify(tenant, calendar_id, [to_contact("booked"), to_contact("booked", channel="sms")])
    with smtp_server() as mailbox, http_receiver() as texts:
        env = {
            "OPENCALENDARS_SMTP_URL": mailbox.url,
            "OPENCALENDARS_SMS_WEBHOOK_URL": texts.url,
            "OPENCALENDARS_CONTACT_EMAIL": PATTERN,
        }
        with live_worker(sandbox.database_url, sandbox.directory, **env):
            first = book(tenant, calendar_id, contactId=no_email["id"], appointmentStatus="new")
            second = book(
                tenant,
                calendar_id,
                "2030-01-07T11:00:00-05:00",
                contactId=silent["id"],
                appointmentStatus="new",
            )
            messages = sandbox.settled(tenant)
            time.sleep(0.3)

    assert mailbox.messages == []
    assert [r.json()["phoneNumbers"] for r in texts.received] == [["+14155550133"]]
    outcome = sorted(
        (m["appointmentId"] == first["id"], m["kind"], m["status"], m["lastError"])
        for m in messages
        if m["appointmentId"] in (first["id"], second["id"])
    )
    quiet, hushed = no_email["id"], silent["id"]
    assert outcome == [
        (
            False,
            "email",
            "failed",
            f"no recipient address (contact {hushed} has do not disturb on for email)",
        ),
        (
            False,
            "sms",
            "failed",
            f"no recipient phone number (contact {hushed} has do not disturb on for sms)",
        ),
        (
            True,
            "email",
            "failed",
            f"no recipient address (contact {quiet} has do not disturb on for email)",
        ),
        (True, "sms", "delivered", None),
    ]


@pytest.mark.parametrize(
    ("dnd", "settings", "channel", "held"),
    [
        (False, None, "email", False),
        (True, None, "sms", True),
        (False, {"Email": {"status": "active"}}, "email", True),
        (False, {"email": {"status": "inactive"}}, "email", False),
        (False, {"SMS": {"status": "permanent"}}, "sms", True),
        (False, {"sms": {"status": "active"}}, "whatsapp", False),
        (False, {"whatsApp": {"status": "active"}}, "whatsapp", True),
    ],
)
def test_do_not_disturb_by_channel_in_both_editions(dnd, settings, channel, held):
    assert do_not_disturb(dnd, settings, channel) is held


CHANNELS = Channels(
    smtp_url=None,
    sms_webhook_url=None,
    contact_email=PATTERN,
    user_email="{id}@staff.example.com",
    timeout_s=1,
)


@pytest.mark.parametrize(
    ("resolved", "expected"),
    [
        (
            {"contactEmail": "c@example.com"},
            ["desk@example.com", "c@example.com", "u@staff.example.com"],
        ),
        (
            {"contactEmail": None},
            ["desk@example.com", "c1@contacts.example.com", "u@staff.example.com"],
        ),
        ({}, ["desk@example.com", "c1@contacts.example.com", "u@staff.example.com"]),
        (
            {"contactEmail": None, "contactDeleted": True},
            ["desk@example.com", "u@staff.example.com"],
        ),
        ({"contactEmail": "desk@example.com"}, ["desk@example.com", "u@staff.example.com"]),
    ],
)
def test_email_recipients(resolved, expected):
    payload = {"contactId": "c1", "emails": ["desk@example.com"], "userIds": ["u"], **resolved}
    assert email_addresses(CHANNELS, payload) == expected


def test_the_sms_body_and_no_number_to_send_to():
    payload = {"contactId": "c1", "phoneNumbers": ["+15550199"], "body": "hi"}
    assert sms_body({**payload, "contactPhone": "+14155550100"}) == {
        **payload,
        "phoneNumbers": ["+14155550100", "+15550199"],
        "contactPhone": "+14155550100",
    }
    assert sms_body({**payload, "contactPhone": None})["phoneNumbers"] == ["+15550199"]
    deleted = {**payload, "phoneNumbers": [], "contactPhone": None, "contactDeleted": True}
    assert "contactDeleted" not in sms_body(deleted)
    channels = Channels(None, "http://127.0.0.1:9/sms", None, None, 1)
    outcome = send_sms(None, channels, deleted)
    assert (outcome.result, outcome.error) == (
        "failed",
        "no recipient phone number (contact c1 is deleted)",
    )
