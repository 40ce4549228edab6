"""The server's routes against the contract: same paths, methods and scopes as the spec."""

import re
from importlib.resources import files
from pathlib import Path

import pytest

from opencalendars.http.auth import CALENDAR_SCOPES
from support.api import create_tenant
from support.contract import CONTRACT_DIR, operations

SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "spec"
# The operations this server implements; each later area adds its own.
SERVED = {
    # calendar groups
    "get-groups",
    "create-calendar-group",
    "validate-groups-slug",
    "delete-group",
    "edit-group",
    "disable-group",
    # calendars
    "get-calendars",
    "create-calendar",
    "get-calendar",
    "update-calendar",
    "delete-calendar",
    # availability schedules
    "getAllSchedules",
    "getScheduleById",
    "updateSchedule",
    "deleteSchedule",
    "createSchedule",
    "add-calendar-to-schedule",
    "remove-calendar-from-schedule",
    "createCalendarSchedule",
    "getCalendarSchedule",
    "updateCalendarSchedule",
    # free slots and block slots
    "get-slots",
    "create-block-slot",
    "edit-block-slot",
    "get-blocked-slots",
    "delete-event",
    # appointments, events and notes
    "create-appointment",
    "edit-appointment",
    "get-appointment",
    "get-calendar-events",
    "get-appointment-notes",
    "create-appointment-note",
    "update-appointment-note",
    "delete-appointment-note",
    # resources and notifications
    "get-calendar-resource",
    "update-calendar-resource",
    "delete-calendar-resource",
    "fetch-calendar-resources",
    "create-calendar-resource",
    "get-event-notification",
    "create-event-notification",
    "find-event-notification",
    "update-event-notification",
    "delete-event-notification",
    # Services V2: service locations
    "get-service-locations",
    "create-service-location",
    "get-service-location-by-id",
    "update-service-location",
    "delete-service-location",
    "get-services-catalog",
    "create-service-catalog",
    "get-service-catalog-by-id",
    "update-service-catalog",
    "delete-service-catalog",
    "get-service-bookings",
    "create-service-booking",
    "get-service-booking-by-id",
    "update-service-booking",
    "delete-service-booking",
}


def spec_operations():
    for method, path, operation in operations():
        concrete = re.sub(r"\{[^}]+\}", "x" * 20, path)
        yield method.upper(), concrete, operation


def test_every_served_operation_demands_the_spec_scope(client):
    """A token with every scope but the spec's gets 401 (the live service's answer); one with
    just the spec's scope gets past."""
    served = {
        op["operationId"]: (m, p, op)
        for m, p, op in spec_operations()
        if op["operationId"] in SERVED
    }
    assert served.keys() == SERVED
    for method, path, operation in served.values():
        (scope,) = operation["scopes"]
        others = create_tenant(client, scopes=[s for s in CALENDAR_SCOPES if s != scope])
        response = others.request(method, path, json={})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["message"] == "The token is not authorized for this scope."
        scoped = create_tenant(client, scopes=[scope])
        assert scoped.request(method, path, json={}).status_code != 401, (method, path)


def test_the_contract_extract_holds_all_59_operations():
    assert len(operations()) == 59


@pytest.mark.skipif(not SPEC_DIR.is_dir(), reason="the shared spec is not beside this clone")
def test_the_extract_is_up_to_date_with_the_shared_spec():
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "scripts" / "extract_spec.py"
    spec = importlib.util.spec_from_file_location("extract_spec", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for source, target in module.EDITIONS.items():
        assert module.render(SPEC_DIR / source) == (CONTRACT_DIR / target).read_text(), target
    for target in module.PACKAGED:
        # The copy the server documents itself with (http/openapi.py): the same bytes.
        packaged = files("opencalendars").joinpath("contract", target).read_text()
        assert packaged == (CONTRACT_DIR / target).read_text(), target
    webhooks = (CONTRACT_DIR / module.WEBHOOKS_TARGET).read_text()
    assert module.render_webhooks(SPEC_DIR) == webhooks


def test_the_response_check_catches_a_body_that_breaks_the_schema():
    from support.contract import response_schema_errors

    good = {"groups": [{"locationId": "l", "name": "n", "description": "", "slug": "s", "id": "i"}]}
    bad = {"groups": [{"locationId": "l", "name": 1, "description": "", "id": "i"}]}

    assert response_schema_errors("/calendars/groups", "get", 200, good) == []
    assert sorted(response_schema_errors("/calendars/groups", "get", 200, bad)) == [
        "groups/0/name: 1 is not of type 'string'",
        "groups/0: 'slug' is a required property",
    ]
    assert response_schema_errors("/calendars/groups", "get", 204, good) == [
        "status 204 is not documented for GET /calendars/groups"
    ]
