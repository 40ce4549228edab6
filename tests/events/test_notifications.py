"""Calendar notifications really sent (PRODUCT §8): email over SMTP to a real server on
127.0.0.1, SMS to the configured endpoint, reminders and follow-ups on the server clock."""

import time

from concurrency.races import calendar_with
from events.booking import book
from support.receivers import http_receiver, smtp_server
from support.server import live_worker

FRONT_DESK = "front-desk@example.com"


def notify(tenant, calendar_id, items: list[dict]) -> None:
    response = tenant.post(f"/calendars/{calendar_id}/notifications", json=items)
    assert response.status_code in (200, 201), response.text


def email(kind: str, **fields) -> dict:
    return {
        "receiverType": "emails",
        "channel": "email",
        "notificationType": kind,
        "additionalEmailIds": [FRONT_DESK],
        **fields,
    }


def subjects(mailbox) -> list[str]:
    return sorted(message["Subject"] for message in mailbox.messages)


def test_emails_and_texts_go_out_when_things_happen_and_on_time(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    notify(
        tenant,
        calendar_id,
        [
            email(
                "booked",
                subject="Booked {{appointment.title}} for {{contact.id}}",
                body="{{calendar.name}} on {{appointment.start_time}}, {{nothing.here}}",
                fromAddress="salon@example.com",
                fromName="The Salon",
            ),
            email("cancellation"),
            email("reminder", beforeTime=[{"timeOffset": 1, "unit": "hours"}]),
            email("followup", afterTime=[{"timeOffset": 30, "unit": "mins"}]),
            {
                "receiverType": "phoneNumbers",
                "channel": "sms",
                "notificationType": "booked",
                "additionalPhoneNumbers": ["+15550100"],
                "body": "See you at {{appointment.start_time}}",
            },
            {"receiverType": "contact", "channel": "inApp", "notificationType": "booked"},
        ],
    )
    with smtp_server() as mailbox, http_receiver() as texts:
        worker_env = {
            "OPENCALENDARS_SMTP_URL": mailbox.url,
            "OPENCALENDARS_SMS_WEBHOOK_URL": texts.url,
        }
        with live_worker(sandbox.database_url, sandbox.directory, **worker_env):
            kept = book(
                tenant,
                calendar_id,
                "2030-01-07T10:00:00-05:00",
                title="Haircut",
                contactId="contact-7",
            )
            dropped = book(
                tenant,
                calendar_id,
                "2030-01-07T11:00:00-05:00",
                title="Colour",
                contactId="contact-7",
            )
            silent = book(
                tenant,
                calendar_id,
                "2030-01-07T12:00:00-05:00",
                title="Quiet",
                toNotify=False,
                contactId="contact-7",
            )
            cancelled = tenant.put(
                f"/calendars/events/appointments/{dropped['id']}",
                json={"appointmentStatus": "cancelled"},
            )
            assert cancelled.status_code == 200

            mailbox.wait_for(3)
            texts.wait_for(2)
            time.sleep(0.5)  # nothing else is due yet
            assert subjects(mailbox) == [
                "Booked Colour for contact-7",
                "Booked Haircut for contact-7",
                "Cancelled: Colour",
            ]
            # The reminder is due at 09:00 New York time.
            clock("2030-01-07T13:59:00Z")
            time.sleep(0.5)
            assert len(mailbox.messages) == 3
            clock("2030-01-07T14:00:00Z")
            mailbox.wait_for(4)
            # The follow-up: 30 minutes after the 10:30 end.
            clock("2030-01-07T16:00:00Z")
            mailbox.wait_for(5)
            time.sleep(0.5)

    assert subjects(mailbox) == [
        "Booked Colour for contact-7",
        "Booked Haircut for contact-7",
        "Cancelled: Colour",
        "Reminder: Haircut",
        "Thank you: Haircut",
    ]
    booked = next(m for m in mailbox.messages if m["Subject"] == "Booked Haircut for contact-7")
    assert booked["From"] == "The Salon <salon@example.com>"
    assert booked["To"] == FRONT_DESK
    assert booked.get_payload().strip() == (
        "race personal on Monday, January 7, 2030 10:00 AM EST, {{nothing.here}}"
    )
    reminder = next(m for m in mailbox.messages if m["Subject"] == "Reminder: Haircut")
    assert "Monday, January 7, 2030 10:00 AM EST" in reminder.get_payload()
    sms = [r.json()["phoneNumbers"] for r in texts.received]
    assert sms == [["+15550100"], ["+15550100"]]
    assert {r.json()["body"] for r in texts.received} == {
        "See you at Monday, January 7, 2030 10:00 AM EST",
        "See you at Monday, January 7, 2030 11:00 AM EST",
    }
    silent_messages = [m for m in sandbox.outbox(tenant) if m["appointmentId"] == silent["id"]]
    assert silent_messages == []
    kept_topics = sorted(
        m["topic"] for m in sandbox.outbox(tenant) if m["appointmentId"] == kept["id"]
    )
    assert kept_topics == ["booked", "booked", "followup", "reminder"]
    dropped_reminders = [
        m["status"]
        for m in sandbox.outbox(tenant)
        if m["appointmentId"] == dropped["id"] and m["topic"] in ("reminder", "followup")
    ]
    assert dropped_reminders == ["cancelled", "cancelled"]


def test_a_moved_appointment_moves_its_reminder_and_says_so(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    notify(
        tenant,
        calendar_id,
        [
            email("reschedule"),
            email("reminder", beforeTime=[{"timeOffset": 1, "unit": "days"}]),
        ],
    )
    appointment = book(tenant, calendar_id, "2030-01-08T10:00:00-05:00", title="Visit")
    moved = tenant.put(
        f"/calendars/events/appointments/{appointment['id']}",
        json={"startTime": "2030-01-09T10:00:00-05:00"},
    )
    assert moved.status_code == 200, moved.text
    with smtp_server() as mailbox:
        env = {"OPENCALENDARS_SMTP_URL": mailbox.url}
        with live_worker(sandbox.database_url, sandbox.directory, **env):
            mailbox.wait_for(1)
            # The old reminder (Jan 7, 10:00) is gone; the new one is due Jan 8, 10:00.
            clock("2030-01-07T15:00:00Z")
            time.sleep(0.5)
            assert len(mailbox.messages) == 1
            clock("2030-01-08T15:00:00Z")
            mailbox.wait_for(2)
    assert subjects(mailbox) == ["Reminder: Visit", "Rescheduled: Visit"]
    reminder = next(m for m in mailbox.messages if m["Subject"] == "Reminder: Visit")
    assert "Wednesday, January 9, 2030 10:00 AM EST" in reminder.get_payload()
