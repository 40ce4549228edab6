"""Contact webhooks (docs/events.md, docs/contacts.md): ContactCreate, ContactUpdate and
ContactDelete reach each subscriber that wants them once, signed, in the spec's flat shape; a
refused or a no-op write sends nothing."""

import json

import jsonschema

from events.test_webhooks import WEBHOOK_SCHEMAS, verifies
from support.receivers import http_receiver
from support.server import live_worker

NEVER_CALLED = "http://127.0.0.1:9/never-called"
# Every field of the spec's body, and ours after it.
EVERY_FIELD = {
    *WEBHOOK_SCHEMAS["ContactCreate"]["properties"],
    "timestamp",
    "webhookId",
}
APPOINTMENT_EVENTS = ["AppointmentCreate", "AppointmentUpdate", "AppointmentDelete"]


def create(tenant, **fields) -> dict:
    response = tenant.post("/contacts/", json={"locationId": tenant.location_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()["contact"]


def bodies(messages: list[dict]) -> list[dict]:
    """The bodies the outbox holds for its webhooks, by `timestamp` (the clock is moved between
    changes: the outbox orders messages of the same instant by id)."""
    found = [json.loads(m["payload"]["body"]) for m in messages if m["kind"] == "webhook"]
    return sorted(found, key=lambda body: body["timestamp"])


def test_each_contact_change_arrives_once_signed_and_shaped_as_the_spec_says(sandbox, clock):
    tenant = sandbox.tenant()
    public_pem = sandbox.admin.get("/webhooks/public-key", params={"alg": "ed25519"}).text
    with http_receiver() as receiver:
        sandbox.subscribe(tenant, receiver.url)
        contact = create(
            tenant,
            firstName="Ann",
            lastName="Lee",
            email="Ann.Lee@Example.com",
            phone="(415) 555-0123",
            companyName="Lee & Co",
            address1="1 Main St",
            city="Springfield",
            state="IL",
            postalCode="62701",
            country="us",
            website="https://lee.example.com",
            source="web form",
            assignedTo="ann",
            dateOfBirth="01/05/2000",
            dnd=True,
            tags=[" VIP ", "New Lead"],
            customFields=[
                {"id": "BcdmQEsNgz6AVpgLVUJ0", "fieldValue": "XYZ Corp"},
                {"key": "contact.size", "fieldValue": 12},
            ],
        )
        clock("2030-01-01T01:00:00Z")
        path = f"/contacts/{contact['id']}"
        updated = tenant.put(path, json={"lastName": "Smith", "city": None})
        assert updated.status_code == 200, updated.text
        clock("2030-01-01T02:00:00Z")
        assert tenant.delete(path).status_code == 200

        with live_worker(sandbox.database_url, sandbox.directory):
            received = receiver.wait_for(3)
            messages = sandbox.settled(tenant)
        assert len(receiver.received) == 3
        assert [m["status"] for m in messages] == ["delivered"] * 3

    assert all(m["appointmentId"] is None for m in messages)
    by_type = {item.json()["type"]: item.json() for item in received}
    assert sorted(by_type) == ["ContactCreate", "ContactDelete", "ContactUpdate"]
    assert len({body["webhookId"] for body in by_type.values()}) == 3
    for item in received:
        body = item.json()
        assert verifies(public_pem, item.body, item.headers["x-ghl-signature"])
        assert not verifies(public_pem, item.body + b" ", item.headers["x-ghl-signature"])
        jsonschema.validate(body, WEBHOOK_SCHEMAS[body["type"]])

    created = by_type["ContactCreate"]
    assert created == {
        "type": "ContactCreate",
        "locationId": tenant.location_id,
        "id": contact["id"],
        "address1": "1 Main St",
        "city": "Springfield",
        "companyName": "Lee & Co",
        "country": "US",
        "source": "web form",
        "dateAdded": "2030-01-01T00:00:00.000Z",
        "dateOfBirth": "2000-01-05T00:00:00.000Z",
        "dnd": True,
        "email": "Ann.Lee@Example.com",
        "name": "Ann Lee",
        "firstName": "Ann",
        "lastName": "Lee",
        "phone": "+14155550123",
        "postalCode": "62701",
        "state": "IL",
        "tags": ["vip", "new lead"],
        "website": "https://lee.example.com",
        "attachments": [],
        "assignedTo": "ann",
        "customFields": [
            {"id": "BcdmQEsNgz6AVpgLVUJ0", "value": "XYZ Corp"},
            {"key": "contact.size", "value": 12},
        ],
        "timestamp": "2030-01-01T00:00:00.000Z",
        "webhookId": created["webhookId"],
    }
    assert set(created) == EVERY_FIELD

    update = by_type["ContactUpdate"]
    assert set(update) == EVERY_FIELD - {"city"}  # cleared: left out, never null
    assert (update["name"], update["lastName"]) == ("Ann Smith", "Smith")
    assert update["timestamp"] == "2030-01-01T01:00:00.000Z"
    assert update["dateAdded"] == "2030-01-01T00:00:00.000Z"

    # The contact as it was when deleted.
    deleted = by_type["ContactDelete"]
    assert deleted["timestamp"] == "2030-01-01T02:00:00.000Z"
    unchanged = {"type", "timestamp", "webhookId"}
    assert {k: v for k, v in deleted.items() if k not in unchanged} == {
        k: v for k, v in update.items() if k not in unchanged
    }


def test_a_contact_without_optional_fields_sends_only_what_it_has(sandbox, clock):
    tenant = sandbox.tenant()
    sandbox.subscribe(tenant, NEVER_CALLED)
    contact = create(tenant, email="bo@example.com")

    (body,) = bodies(sandbox.outbox(tenant))

    jsonschema.validate(body, WEBHOOK_SCHEMAS["ContactCreate"])
    assert body == {
        "type": "ContactCreate",
        "locationId": tenant.location_id,
        "id": contact["id"],
        "dateAdded": "2030-01-01T00:00:00.000Z",
        "dnd": False,
        "email": "bo@example.com",
        "tags": [],
        "attachments": [],
        "customFields": [],
        "timestamp": "2030-01-01T00:00:00.000Z",
        "webhookId": body["webhookId"],
    }


def test_refused_and_no_op_writes_queue_nothing(sandbox, clock):
    tenant = sandbox.tenant()
    sandbox.subscribe(tenant, NEVER_CALLED)
    contact = create(tenant, email="ann@example.com", tags=["vip"])
    path = f"/contacts/{contact['id']}"

    duplicate = tenant.post(
        "/contacts/", json={"locationId": tenant.location_id, "email": "ANN@example.com"}
    )
    bad_phone = tenant.put(path, json={"phone": "555-0100"})
    unknown = tenant.put("/contacts/nope", json={"firstName": "X"})
    same_tag = tenant.post(f"{path}/tags", json={"tags": [" VIP "]})
    absent_tag = tenant.request("DELETE", f"{path}/tags", json={"tags": ["other"]})
    outbox_before_change = bodies(sandbox.outbox(tenant))
    clock("2030-01-01T00:01:00Z")
    new_tag = tenant.post(f"{path}/tags", json={"tags": ["new"]})
    clock("2030-01-01T00:02:00Z")
    removed_tag = tenant.request("DELETE", f"{path}/tags", json={"tags": ["vip"]})

    assert duplicate.status_code == 400
    assert bad_phone.status_code == 400
    assert unknown.status_code == 404
    assert same_tag.status_code == 201 and same_tag.json()["tags"] == ["vip"]
    assert absent_tag.status_code == 200 and absent_tag.json()["tags"] == ["vip"]
    assert [b["type"] for b in outbox_before_change] == ["ContactCreate"]
    assert new_tag.json()["tags"] == ["vip", "new"]
    assert removed_tag.json()["tags"] == ["new"]
    sent = bodies(sandbox.outbox(tenant))
    assert [(b["type"], b["tags"]) for b in sent] == [
        ("ContactCreate", ["vip"]),
        ("ContactUpdate", ["vip", "new"]),
        ("ContactUpdate", ["new"]),
    ]


def test_upsert_sends_create_when_it_creates_and_update_when_it_updates(sandbox, clock):
    tenant = sandbox.tenant()
    sandbox.subscribe(tenant, NEVER_CALLED)

    def upsert(**fields) -> dict:
        response = tenant.post(
            "/contacts/upsert", json={"locationId": tenant.location_id, **fields}
        )
        assert response.status_code == 200, response.text
        return response.json()

    first = upsert(email="cy@example.com", firstName="Cy")
    clock("2030-01-01T00:01:00Z")
    second = upsert(email="CY@example.com", phone="+14155550199")

    assert (first["new"], second["new"]) == (True, False)
    sent = bodies(sandbox.outbox(tenant))
    assert [(b["type"], b["id"], b.get("phone")) for b in sent] == [
        ("ContactCreate", first["contact"]["id"], None),
        ("ContactUpdate", first["contact"]["id"], "+14155550199"),
    ]
    for body in sent:
        jsonschema.validate(body, WEBHOOK_SCHEMAS[body["type"]])


def test_each_subscription_gets_only_the_events_it_chose(sandbox, clock):
    tenant = sandbox.tenant()
    with (
        http_receiver() as everything,
        http_receiver() as deletes,
        http_receiver() as appointments,
    ):
        sandbox.subscribe(tenant, everything.url)
        chosen = sandbox.subscribe(tenant, deletes.url, events=["ContactDelete"])
        sandbox.subscribe(tenant, appointments.url, events=APPOINTMENT_EVENTS)
        contact = create(tenant, firstName="Di")
        path = f"/contacts/{contact['id']}"
        assert tenant.put(path, json={"lastName": "Ray"}).status_code == 200
        assert tenant.delete(path).status_code == 200

        with live_worker(sandbox.database_url, sandbox.directory):
            messages = sandbox.settled(tenant)
            everything.wait_for(3)

    assert chosen["events"] == ["ContactDelete"]
    assert len(messages) == 4 and {m["status"] for m in messages} == {"delivered"}
    assert sorted(r.json()["type"] for r in everything.received) == [
        "ContactCreate",
        "ContactDelete",
        "ContactUpdate",
    ]
    assert [r.json()["type"] for r in deletes.received] == ["ContactDelete"]
    assert appointments.received == []
