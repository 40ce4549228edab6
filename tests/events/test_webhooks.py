"""Appointment webhooks (PRODUCT §8): every change reaches each subscriber once, signed; a
failing receiver is retried; subscriptions through the admin API."""

import base64
import json
import os
from pathlib import Path

import jsonschema
from cryptography.hazmat.primitives import serialization

from concurrency.races import calendar_with
from events.booking import MONDAY_TEN, book
from support.api import ADMIN_HEADERS
from support.receivers import http_receiver
from support.server import FAST_WORKER_ENV, live_server, live_worker

WEBHOOK_SCHEMAS = json.loads(
    (Path(__file__).resolve().parents[1] / "contract" / "webhooks.facts.json").read_text()
)


def verifies(public_pem: str, body: bytes, signature: str) -> bool:
    """Ed25519, the default (RSA and both: test_signatures.py)."""
    key = serialization.load_pem_public_key(public_pem.encode())
    try:
        key.verify(base64.b64decode(signature), body)
    except Exception:
        return False
    return True


def test_each_change_arrives_once_signed_and_shaped_as_the_spec_says(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    public_pem = sandbox.admin.get("/webhooks/public-key", params={"alg": "ed25519"}).text
    with http_receiver() as receiver:
        sandbox.subscribe(tenant, receiver.url)
        created = book(tenant, calendar_id, title="Intro")
        path = f"/calendars/events/appointments/{created['id']}"
        assert tenant.put(path, json={"title": "Intro call"}).status_code == 200
        assert tenant.delete(f"/calendars/events/{created['id']}").status_code == 200

        with live_worker(sandbox.database_url, sandbox.directory):
            received = receiver.wait_for(3)
            delivered = [m for m in sandbox.settled(tenant) if m["status"] == "delivered"]
        assert len(receiver.received) == 3 and len(delivered) == 3

    bodies = [item.json() for item in received]
    assert sorted(b["type"] for b in bodies) == [
        "AppointmentCreate",
        "AppointmentDelete",
        "AppointmentUpdate",
    ]
    assert len({b["webhookId"] for b in bodies}) == 3
    for item, body in zip(received, bodies, strict=True):
        assert verifies(public_pem, item.body, item.headers["x-ghl-signature"])
        assert not verifies(public_pem, item.body + b" ", item.headers["x-ghl-signature"])
        assert "x-wh-signature" not in item.headers  # retired by HighLevel; opt in with `rsa`
        jsonschema.validate(body, WEBHOOK_SCHEMAS[body["type"]])
        assert set(body) == {"type", "locationId", "appointment", "timestamp", "webhookId"}
        assert set(body["appointment"]) == set(
            WEBHOOK_SCHEMAS[body["type"]]["properties"]["appointment"]["properties"]
        )
        assert body["locationId"] == tenant.location_id
        assert body["timestamp"] == "2030-01-01T00:00:00.000Z"
    by_type = {b["type"]: b["appointment"] for b in bodies}
    assert by_type["AppointmentCreate"] == {
        "id": created["id"],
        "address": created["address"],
        "title": "Intro",
        "calendarId": calendar_id,
        "contactId": "contact-1",
        "groupId": "",
        "appointmentStatus": "confirmed",
        "assignedUserId": "ann",
        "users": ["ann"],
        "notes": "",
        "source": "third_party",
        "startTime": MONDAY_TEN,
        "endTime": "2030-01-07T10:30:00-05:00",
        "dateAdded": "2029-12-31T19:00:00-05:00",
        "dateUpdated": "2029-12-31T19:00:00-05:00",
    }
    assert by_type["AppointmentUpdate"]["title"] == "Intro call"
    assert by_type["AppointmentDelete"]["id"] == created["id"]


def test_only_the_chosen_events_are_sent_and_blocks_send_none(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    with http_receiver() as everything, http_receiver() as deletes:
        sandbox.subscribe(tenant, everything.url)
        sandbox.subscribe(tenant, deletes.url, events=["AppointmentDelete"])
        created = book(tenant, calendar_id)
        block = tenant.post(
            "/calendars/events/block-slots",
            json={
                "locationId": tenant.location_id,
                "calendarId": calendar_id,
                "startTime": "2030-01-08T10:00:00-05:00",
                "endTime": "2030-01-08T11:00:00-05:00",
            },
        )
        assert block.status_code == 201
        assert tenant.delete(f"/calendars/events/{created['id']}").status_code == 200

        with live_worker(sandbox.database_url, sandbox.directory):
            assert [r.json()["type"] for r in deletes.wait_for(1)] == ["AppointmentDelete"]
            everything.wait_for(2)
    assert sorted(r.json()["type"] for r in everything.received) == [
        "AppointmentCreate",
        "AppointmentDelete",
    ]


def test_occurrence_changes_are_events_of_the_occurrence(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    with http_receiver() as receiver:
        sandbox.subscribe(tenant, receiver.url)
        series = book(
            tenant,
            calendar_id,
            rrule="RRULE:FREQ=WEEKLY;COUNT=3",
            ignoreFreeSlotValidation=True,
        )
        events = tenant.get(
            "/calendars/events",
            params={
                "locationId": tenant.location_id,
                "calendarId": calendar_id,
                "startTime": 1_893_974_400_000,  # 2030-01-07T00:00Z
                "endTime": 1_895_788_800_000,  # 2030-01-28T00:00Z
            },
        ).json()["events"]
        second, third = events[1]["id"], events[2]["id"]
        moved = tenant.put(
            f"/calendars/events/appointments/{second}",
            json={"startTime": "2030-01-14T11:00:00-05:00"},
        )
        assert moved.status_code == 200, moved.text
        assert tenant.delete(f"/calendars/events/{third}").status_code == 200

        with live_worker(sandbox.database_url, sandbox.directory):
            received = receiver.wait_for(3)
    kinds = sorted((r.json()["type"], r.json()["appointment"]["id"]) for r in received)
    assert kinds == sorted(
        [
            ("AppointmentCreate", series["id"]),
            ("AppointmentUpdate", second),
            ("AppointmentDelete", third),
        ]
    )


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    with http_receiver(script=[500, 503]) as receiver:
        sandbox.subscribe(tenant, receiver.url)
        book(tenant, calendar_id)

        with live_worker(sandbox.database_url, sandbox.directory):
            received = receiver.wait_for(3)
            (message,) = sandbox.settled(tenant)

    assert len({r.body for r in received}) == 1  # the same body, the same webhookId, each time
    assert message["status"] == "delivered"
    assert [(a["number"], a["outcome"], a["statusCode"]) for a in message["attempts"]] == [
        (1, "retry", 500),
        (2, "retry", 503),
        (3, "delivered", 200),
    ]


def test_a_receiver_refusing_for_good_is_not_retried(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    with http_receiver(script=[410]) as receiver:
        sandbox.subscribe(tenant, receiver.url)
        book(tenant, calendar_id)
        with live_worker(sandbox.database_url, sandbox.directory):
            receiver.wait_for(1)
            (message,) = sandbox.settled(tenant)
    assert message["status"] == "failed"
    assert [a["outcome"] for a in message["attempts"]] == ["failed"]


def test_webhook_subscriptions_through_the_admin_api(sandbox):
    tenant = sandbox.tenant()
    created = sandbox.subscribe(tenant, "https://example.com/hook", events=["AppointmentCreate"])
    listed = sandbox.admin.get(
        "/admin/webhooks", params={"locationId": tenant.location_id}, headers=ADMIN_HEADERS
    ).json()
    bad = sandbox.admin.post(
        "/admin/webhooks",
        json={"locationId": tenant.location_id, "url": "ftp://x", "events": ["Nope"]},
        headers=ADMIN_HEADERS,
    )
    unknown_location = sandbox.admin.post(
        "/admin/webhooks", json={"locationId": "nope", "url": "https://x"}, headers=ADMIN_HEADERS
    )
    deleted = sandbox.admin.delete(f"/admin/webhooks/{created['id']}", headers=ADMIN_HEADERS)
    again = sandbox.admin.delete(f"/admin/webhooks/{created['id']}", headers=ADMIN_HEADERS)
    without_key = sandbox.admin.get("/admin/webhooks")

    assert created["url"] == "https://example.com/hook"
    assert created["events"] == ["AppointmentCreate"]
    assert listed == {"webhooks": [created]}
    assert bad.status_code == 400
    assert bad.json()["message"] == [
        "url must be an http:// or https:// URL",
        "events.0 must be one of the following values: AppointmentCreate, AppointmentUpdate,"
        " AppointmentDelete, ContactCreate, ContactUpdate, ContactDelete",
    ]
    assert unknown_location.status_code == 404
    assert deleted.json() == {"success": True}
    assert again.status_code == 404
    assert without_key.status_code == 401


def test_the_public_key_is_stable_pem(sandbox):
    first = sandbox.admin.get("/webhooks/public-key")
    second = sandbox.admin.get("/webhooks/public-key")

    assert first.status_code == 200
    assert first.text.startswith("-----BEGIN PUBLIC KEY-----")
    assert first.text == second.text


def test_serve_with_worker_delivers_without_a_separate_worker(sandbox, clock, monkeypatch):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    for name, value in FAST_WORKER_ENV.items():
        monkeypatch.setitem(os.environ, name, value)
    with http_receiver() as receiver:
        sandbox.subscribe(tenant, receiver.url)
        book(tenant, calendar_id)
        with live_server(sandbox.database_url, sandbox.directory, extra_args=("--with-worker",)):
            (item,) = receiver.wait_for(1)
    assert item.json()["type"] == "AppointmentCreate"


def test_the_outbox_names_the_subscription_apart_from_the_delivery_id(sandbox, clock):
    """`subscriptionId` is the `/admin/webhooks` subscription a message goes to; `webhookId` is
    the id of that one delivery, inside the body the receiver gets."""
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    first = sandbox.subscribe(tenant, "http://127.0.0.1:9/first")
    second = sandbox.subscribe(tenant, "http://127.0.0.1:9/second")
    book(tenant, calendar_id)

    messages = sandbox.outbox(tenant)

    assert sorted(m["subscriptionId"] for m in messages) == sorted([first["id"], second["id"]])
    delivery_ids = set()
    for message in messages:
        assert "webhookId" not in message
        delivery_ids.add(json.loads(message["payload"]["body"])["webhookId"])
    assert len(delivery_ids) == 2
    assert not delivery_ids & {first["id"], second["id"]}


def test_a_refused_change_queues_nothing(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    sandbox.subscribe(tenant, "http://127.0.0.1:9/never-called")
    book(tenant, calendar_id)

    refused = tenant.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": tenant.location_id,
            "contactId": "contact-2",
            "startTime": MONDAY_TEN,
        },
    )

    assert refused.status_code == 400
    assert [m["topic"] for m in sandbox.outbox(tenant)] == ["AppointmentCreate"]
