"""Conformance: one location's whole story through the official SDK, every one of the Calendars
spec's 59 operations and the ten Contacts operations the server serves (69), every answer
checked against the spec's response schema (the contacts ones with the allowances of
support/contacts_contract.py).

A studio sets up its calendar groups, builds calendars of each type with their schedules,
adds a room and reminders, opens and blocks slots, books, reschedules and cancels an
appointment with notes, runs its Services V2 side, keeps its contacts (`drive_contacts` of
sdk/test_contacts_sdk.py, with the SDK's `contacts` service), then clears everything away. The
calendar part runs on the frozen clock the appointment tests use; the contacts part on the real
one (its search pages by `dateAdded`, which a frozen clock would make a tie). The location
books for any contact id (`create_tenant`'s default): the calendar part's contacts are made up.

The story runs twice: with `Version: v3` throughout, and with `Version: 2021-04-15` for the 41
operations that edition has (the rest still go out with v3, as a real client would send them).
The Contacts API has no 2021-04-15 edition: in that run the contacts operations speak its older
one, `Version: 2021-07-28`, checked against that edition.

`.venv/bin/pytest tests/sdk/test_conformance.py -s` prints the tables (README "Conformance").
"""

import asyncio
from contextlib import contextmanager

import httpx
import pytest

from opencalendars.calendars.schemas import CALENDAR_TYPES
from opencalendars.http.auth import ALL_SCOPES
from sdk.harness import VERSIONS, SdkHarness
from sdk.test_appointments_sdk import drive_appointments
from sdk.test_calendars_sdk import drive_calendars
from sdk.test_contacts_sdk import ContactsHarness, drive_contacts
from sdk.test_groups_sdk import drive_groups
from sdk.test_resources_sdk import drive_resources
from sdk.test_services_sdk import drive_services
from sdk.test_slots_sdk import drive_slots
from support.api import ADMIN_HEADERS, create_tenant
from support.contacts_contract import CONTACTS_V3, CONTACTS_V2021, SERVED_CONTACTS
from support.contacts_contract import VERSIONS as CONTACTS_VERSIONS
from support.contract import V3, V2021, operations

# The Contacts edition each story speaks: 2021-07-28 where the calendars speak 2021-04-15.
CONTACTS_EDITION = {V3: CONTACTS_V3, V2021: CONTACTS_V2021}
CONTACT_OPERATIONS = set(SERVED_CONTACTS.values())


@pytest.fixture
def story_tenant(server):
    """A location whose token carries the calendar and the contact scopes."""
    with httpx.Client(base_url=server.base_url) as client:
        yield create_tenant(client, timezone="America/New_York", scopes=list(ALL_SCOPES))


def operation_ids(edition: str) -> set[str]:
    return {operation["operationId"] for _, _, operation in operations(edition)}


def totals(harness: SdkHarness) -> str:
    calls = harness.outcomes
    operations = {o.operation_id for o in calls}
    ok = sum(200 <= o.status < 300 for o in calls)
    valid = sum(not o.schema_errors for o in calls)
    by_version = ", ".join(
        f"{version}: {len({o.operation_id for o in calls if o.version == version})}"
        for version in sorted({o.version for o in calls})
    )
    return (
        f"{len(operations)} operations ({by_version}), {len(calls)} calls, "
        f"{ok} answered 2xx, {valid} schema-valid"
    )


async def add_a_class_and_a_panel(harness: SdkHarness, location_id: str) -> None:
    """The two calendar types the area stories do not build: a class and a collective panel."""
    calendars = harness.calendars
    for fields in (
        {
            "name": "Yoga class",
            "calendarType": "class_booking",
            "teamMembers": [{"userId": "ann"}],
            "appoinmentPerSlot": 8,
        },
        {
            "name": "Panel",
            "calendarType": "collective",
            "teamMembers": [{"userId": "ann", "isPrimary": True}, {"userId": "bob"}],
        },
    ):
        created = await harness.call(
            "/calendars/",
            "post",
            calendars.create_calendar({"locationId": location_id, **fields}),
        )
        assert created["calendar"]["calendarType"] == fields["calendarType"]


async def clean_up(harness: SdkHarness, location_id: str) -> None:
    """Delete what the story left behind: the staff's schedules, every calendar (an event
    calendar's own schedule goes with it) and the services still on the menu."""
    calendars = harness.calendars
    for user_id in ("ann", "bob"):
        found = await harness.call(
            "/calendars/schedules/search",
            "get",
            calendars.get_all_schedules(location_id=location_id, user_id=user_id),
        )
        for schedule in found["schedules"]:
            await harness.call(
                "/calendars/schedules/{id}", "delete", calendars.delete_schedule(id=schedule["id"])
            )

    listed = await harness.call(
        "/calendars/", "get", calendars.get_calendars(location_id=location_id, show_drafted=True)
    )
    assert {calendar["calendarType"] for calendar in listed["calendars"]} == set(CALENDAR_TYPES)
    for calendar in listed["calendars"]:
        await harness.call(
            "/calendars/{calendarId}",
            "delete",
            calendars.delete_calendar(calendar_id=calendar["id"]),
        )

    menu = await harness.call(
        "/calendars/services/catalog", "get", calendars.get_services_catalog(location_id)
    )
    for service in menu["services"]:
        await harness.call(
            "/calendars/services/catalog/{serviceId}",
            "delete",
            calendars.delete_service_catalog(service["id"]),
        )

    # Nothing is left.
    for user_id in ("ann", "bob"):
        found = await harness.call(
            "/calendars/schedules/search",
            "get",
            calendars.get_all_schedules(location_id=location_id, user_id=user_id),
        )
        assert found["schedules"] == []
    listed = await harness.call(
        "/calendars/", "get", calendars.get_calendars(location_id=location_id, show_drafted=True)
    )
    assert listed["calendars"] == []
    menu = await harness.call(
        "/calendars/services/catalog", "get", calendars.get_services_catalog(location_id)
    )
    assert menu == {"services": []}


@contextmanager
def frozen_clock(tenant):
    """The server's clock frozen as the appointment tests freeze it."""
    tenant.client.put("/admin/clock", json={"now": "2030-03-01T00:00:00Z"}, headers=ADMIN_HEADERS)
    try:
        yield
    finally:
        tenant.client.delete("/admin/clock", headers=ADMIN_HEADERS)


def run_story(server, tenant, edition: str) -> SdkHarness:
    """The whole story on one location: the calendar part and the clean-up on the frozen
    clock, the contacts between them on the real one, every call in the harness's table."""

    async def story():
        harness = SdkHarness(server.base_url, tenant.token, edition=edition)
        # The contacts SDK records into the same table.
        contacts = ContactsHarness(
            server.base_url, tenant.token, CONTACTS_EDITION[edition], outcomes=harness.outcomes
        )
        try:
            with frozen_clock(tenant):
                for drive in (
                    drive_groups,
                    drive_calendars,
                    add_a_class_and_a_panel,
                    drive_resources,
                    drive_slots,
                    drive_appointments,
                    drive_services,
                ):
                    await drive(harness, tenant.location_id)
            await drive_contacts(contacts, tenant.location_id)
            with frozen_clock(tenant):
                await clean_up(harness, tenant.location_id)
        finally:
            await contacts.close()
            await harness.close()
        return harness

    return asyncio.run(story())


def test_the_sdk_drives_every_operation_of_the_spec_in_one_story(server, story_tenant):
    harness = run_story(server, story_tenant, V3)

    print("\n" + harness.summary())
    print(totals(harness))
    all_operations = operation_ids(V3)
    assert len(all_operations) == 59
    assert len(CONTACT_OPERATIONS) == 10
    assert {o.operation_id for o in harness.outcomes} == all_operations | CONTACT_OPERATIONS
    assert totals(harness).startswith("69 operations (v3: 69), ")
    assert all(200 <= o.status < 300 for o in harness.outcomes)
    assert all(not o.schema_errors for o in harness.outcomes)
    assert {o.version for o in harness.outcomes} == {"v3"}


def test_the_same_story_speaks_version_2021_04_15(server, story_tenant):
    harness = run_story(server, story_tenant, V2021)

    print("\n" + harness.summary())
    print(totals(harness))
    older = operation_ids(V2021)
    assert len(older) == 41
    # Still the whole story: the operations 2021-04-15 lacks go out as v3, the contacts ones
    # as 2021-07-28 (the Contacts API's older edition).
    assert {o.operation_id for o in harness.outcomes} == operation_ids(V3) | CONTACT_OPERATIONS
    for outcome in harness.outcomes:
        if outcome.operation_id in CONTACT_OPERATIONS:
            expected = CONTACTS_VERSIONS[CONTACTS_V2021]
        elif outcome.operation_id in older:
            expected = VERSIONS[V2021]
        else:
            expected = VERSIONS[V3]
        assert outcome.version == expected, outcome
    assert {o.operation_id for o in harness.outcomes if o.version == "2021-04-15"} == older
    assert totals(harness).startswith("69 operations (2021-04-15: 41, 2021-07-28: 10, v3: 18), ")
    assert all(200 <= o.status < 300 for o in harness.outcomes)
    assert all(not o.schema_errors for o in harness.outcomes)
