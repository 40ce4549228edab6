"""The ten Contacts operations through the official SDK's `contacts` service against a live
server, every answer checked against the spec's response schema of the edition the request
spoke (`Version: v3`, then `Version: 2021-07-28`), with the allowances of
support/contacts_contract.py."""

import asyncio
from dataclasses import dataclass, field

import httpx
import pytest
from highlevel import HighLevel
from highlevel.error import GHLError

from opencalendars.http.auth import ALL_SCOPES
from sdk.harness import Outcome
from support.api import create_tenant
from support.contacts_contract import (
    CONTACTS_V3,
    CONTACTS_V2021,
    SERVED_CONTACTS,
    VERSIONS,
    contact_response_errors,
    contacts_operation,
)


@dataclass
class ContactsHarness:
    """The SDK pointed at the server, speaking one edition of the Contacts API. Its outcomes
    are the calendars harness's kind (sdk/harness.py): the conformance story passes that
    harness's list, so both record into one table."""

    base_url: str
    token: str
    edition: str = CONTACTS_V3
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self):
        HighLevel.BASE_URL = self.base_url
        self.sdk = HighLevel(private_integration_token=self.token)
        self.sdk.API_VERSION = VERSIONS[self.edition]
        self._last: httpx.Response | None = None
        self.sdk.http_client.event_hooks["response"].insert(0, self._remember)

    async def _remember(self, response: httpx.Response) -> None:
        self._last = response

    @property
    def contacts(self):
        return self.sdk.contacts

    async def call(self, path: str, method: str, pending) -> dict:
        """Await one SDK call, check its answer against the edition's schema, record it."""
        body = await pending
        status = self._last.status_code
        errors = contact_response_errors(path, method, status, body, self.edition)
        operation_id = contacts_operation(path, method, self.edition)["operationId"]
        version = self._last.request.headers["Version"]
        self.outcomes.append(Outcome(operation_id, status, errors, version))
        assert not errors, (path, method, version, errors)
        return body

    def summary(self) -> str:
        lines = [f"{'operation':<32} {'status':>7}  schema-valid  version"]
        rows: dict[str, list[Outcome]] = {}
        for outcome in self.outcomes:
            rows.setdefault(outcome.operation_id, []).append(outcome)
        for operation_id, outcomes in rows.items():
            statuses = "/".join(str(s) for s in sorted({o.status for o in outcomes}))
            valid = "yes" if not any(o.schema_errors for o in outcomes) else "NO"
            lines.append(f"{operation_id:<32} {statuses:>7}  {valid:<12}  {outcomes[0].version}")
        return "\n".join(lines)

    async def close(self) -> None:
        await self.sdk.http_client.aclose()


async def book_for(harness: ContactsHarness, location_id: str, contact_id: str) -> dict:
    """An appointment for the contact, made through the SDK's calendars service."""
    calendars = harness.sdk.calendars
    harness.sdk.API_VERSION = "v3"
    try:
        calendar = await calendars.create_calendar(
            {
                "locationId": location_id,
                "name": "Consult",
                "calendarType": "personal",
                "teamMembers": [{"userId": "ann"}],
            }
        )
        return await calendars.create_appointment(
            {
                "calendarId": calendar["calendar"]["id"],
                "locationId": location_id,
                "contactId": contact_id,
                "startTime": "2030-03-04T09:00:00-05:00",
                "endTime": "2030-03-04T09:30:00-05:00",
                "title": "Intro",
                "ignoreFreeSlotValidation": True,
            }
        )
    finally:
        harness.sdk.API_VERSION = VERSIONS[harness.edition]


async def drive_contacts(harness: ContactsHarness, location_id: str) -> None:
    contacts = harness.contacts

    created = await harness.call(
        "/contacts/",
        "post",
        contacts.create_contact(
            {
                "locationId": location_id,
                "firstName": "Rosan",
                "lastName": "Deo",
                "email": "Rosan@Deos.com",
                "phone": "+1 888-888-8888",
                "tags": ["VIP"],
                "customFields": [{"id": "6dvNaf7VhkQ9snc5vnjJ", "fieldValue": 100}],
                "dndSettings": {"call": {"status": "active"}},
                "dateOfBirth": "1990-09-25",
            }
        ),
    )
    contact = created["contact"]
    contact_id = contact["id"]
    assert (contact["email"], contact["emailLowerCase"], contact["phone"]) == (
        "Rosan@Deos.com",
        "rosan@deos.com",
        "+18888888888",
    )
    assert contact["customFields"] == [{"id": "6dvNaf7VhkQ9snc5vnjJ", "value": 100}]

    read = await harness.call("/contacts/{contactId}", "get", contacts.get_contact(contact_id))
    assert read == {"contact": contact}

    updated = await harness.call(
        "/contacts/{contactId}",
        "put",
        contacts.update_contact(contact_id, {"city": "Dolomite", "lastName": "Smith"}),
    )
    assert updated["succeeded"] is True and updated["succeded"] is True
    assert (updated["contact"]["city"], updated["contact"]["name"]) == ("Dolomite", "Rosan Smith")

    matched = await harness.call(
        "/contacts/upsert",
        "post",
        contacts.upsert_contact(
            {"locationId": location_id, "email": "ROSAN@deos.com", "state": "AL"}
        ),
    )
    assert (matched["new"], matched["contact"]["id"]) == (False, contact_id)
    made = await harness.call(
        "/contacts/upsert",
        "post",
        contacts.upsert_contact(
            {"locationId": location_id, "name": "Bob Stone", "phone": "(212) 555-1234"}
        ),
    )
    assert made["new"] is True
    bob_id = made["contact"]["id"]

    found = await harness.call(
        "/contacts/search",
        "post",
        contacts.search_contacts_advanced(
            {
                "locationId": location_id,
                "pageLimit": 10,
                "filters": [{"field": "tags", "operator": "eq", "value": "vip"}],
            }
        ),
    )
    assert [c["id"] for c in found["contacts"]] == [contact_id]
    assert found["total"] == 1
    everyone = await harness.call(
        "/contacts/search",
        "post",
        contacts.search_contacts_advanced(
            {"locationId": location_id, "pageLimit": 1, "sort": [{"field": "dateAdded"}]}
        ),
    )
    rest = await harness.call(
        "/contacts/search",
        "post",
        contacts.search_contacts_advanced(
            {
                "locationId": location_id,
                "pageLimit": 1,
                "sort": [{"field": "dateAdded"}],
                "searchAfter": everyone["contacts"][0]["searchAfter"],
            }
        ),
    )
    assert [everyone["contacts"][0]["id"], rest["contacts"][0]["id"]] == [contact_id, bob_id]

    by_email = await harness.call(
        "/contacts/search/duplicate",
        "get",
        contacts.get_duplicate_contact(location_id, email="rosan@deos.com"),
    )
    assert by_email["contact"]["id"] == contact_id
    by_number = await harness.call(
        "/contacts/search/duplicate",
        "get",
        contacts.get_duplicate_contact(location_id, number="+12125551234"),
    )
    assert by_number["contact"]["id"] == bob_id
    nobody = await harness.call(
        "/contacts/search/duplicate",
        "get",
        contacts.get_duplicate_contact(location_id, email="nobody@deos.com"),
    )
    assert nobody == {"contact": None}

    added = await harness.call(
        "/contacts/{contactId}/tags", "post", contacts.add_tags(contact_id, {"tags": ["Lead"]})
    )
    assert added == {"tags": ["vip", "lead"]}
    removed = await harness.call(
        "/contacts/{contactId}/tags", "delete", contacts.remove_tags(contact_id, {"tags": ["vip"]})
    )
    assert removed == {"tags": ["lead"]}

    appointment = await book_for(harness, location_id, contact_id)
    events = await harness.call(
        "/contacts/{contactId}/appointments",
        "get",
        contacts.get_appointments_for_contact(contact_id),
    )
    assert [event["id"] for event in events["events"]] == [appointment["id"]]

    for doomed in (contact_id, bob_id):
        deleted = await harness.call(
            "/contacts/{contactId}", "delete", contacts.delete_contact(doomed)
        )
        assert deleted == {"succeeded": True, "succeded": True}


@pytest.fixture
def contacts_tenant(server):
    with httpx.Client(base_url=server.base_url) as client:
        yield create_tenant(client, timezone="America/New_York", scopes=list(ALL_SCOPES))


@pytest.mark.parametrize("edition", [CONTACTS_V3, CONTACTS_V2021])
def test_the_sdk_drives_the_ten_contact_operations(server, contacts_tenant, edition):
    async def story():
        harness = ContactsHarness(server.base_url, contacts_tenant.token, edition)
        try:
            await drive_contacts(harness, contacts_tenant.location_id)
        finally:
            await harness.close()
        return harness

    harness = asyncio.run(story())

    print("\n" + harness.summary())
    assert {o.operation_id for o in harness.outcomes} == set(SERVED_CONTACTS.values())
    assert all(200 <= o.status < 300 for o in harness.outcomes)
    assert all(not o.schema_errors for o in harness.outcomes)
    assert {o.version for o in harness.outcomes} == {VERSIONS[edition]}


def test_the_sdk_surfaces_a_duplicate_and_a_missing_contact(server, contacts_tenant):
    async def story():
        harness = ContactsHarness(server.base_url, contacts_tenant.token)
        try:
            body = {"locationId": contacts_tenant.location_id, "email": "dup@example.com"}
            first = await harness.contacts.create_contact(body)
            with pytest.raises(GHLError) as duplicate:
                await harness.contacts.create_contact({**body, "email": "DUP@example.com"})
            with pytest.raises(GHLError) as missing:
                await harness.contacts.get_contact("unknownunknownunknow")
            return first["contact"], duplicate.value, missing.value
        finally:
            await harness.close()

    first, duplicate, missing = asyncio.run(story())

    assert duplicate.status_code == 400
    assert duplicate.message == "This location does not allow duplicated contacts."
    assert duplicate.response["meta"] == {
        "contactId": first["id"],
        "contactName": "",
        "matchingField": "email",
    }
    assert (missing.status_code, missing.message) == (404, "Contact not found")
