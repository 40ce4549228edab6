"""Input that once answered 500 or slipped through (issue 19, defects 7-9): NUL characters,
instants at the edges of the years, zone names that are no IANA zone, the admin API in the
OpenAPI document. Each refusal is a 400 (422 for schedule rules) that writes nothing, on SQLite
and PostgreSQL alike."""

import pytest
from fastapi.testclient import TestClient

from api.slot_helpers import make_calendar
from opencalendars.app import create_app
from opencalendars.settings import Settings
from support.api import ADMIN_HEADERS

DAY_MS = 86_400_000
MIN_EPOCH_MS = -2_208_988_800_000  # 1900-01-01T00:00:00Z, the first instant accepted
MAX_EPOCH_MS = 221_845_391_999_999  # 8999-12-31T23:59:59.999Z, the last
BEFORE_1900 = "must not be before 1900-01-01T00:00:00Z"
AFTER_9000 = "must be before 9000-01-01T00:00:00Z"


def refused(response, *messages):
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "message": list(messages), "error": "Bad Request"}


def groups_of(tenant):
    response = tenant.get("/calendars/groups", params={"locationId": tenant.location_id})
    assert response.status_code == 200, response.text
    return response.json()["groups"]


def calendars_of(tenant):
    response = tenant.get("/calendars/", params={"locationId": tenant.location_id})
    assert response.status_code == 200, response.text
    return response.json()["calendars"]


# NUL characters: PostgreSQL cannot store them in text, so both databases refuse them up front.


def test_nul_in_a_body_string_is_refused_and_nothing_written(ny):
    body = {"locationId": ny.location_id, "name": "Sales\x00", "description": "d", "slug": "sales"}

    refused(ny.post("/calendars/groups", json=body), "name must not contain NUL characters")
    assert groups_of(ny) == []


def test_nul_in_a_nested_string_is_refused(ny):
    body = {
        "locationId": ny.location_id,
        "name": "Team",
        "calendarType": "round_robin",
        "teamMembers": [{"userId": "ann"}, {"userId": "b\x00b"}],
    }

    refused(
        ny.post("/calendars/", json=body), "teamMembers.1.userId must not contain NUL characters"
    )
    assert calendars_of(ny) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"\x00": "x"}, "request body keys must not contain NUL characters"),
        (
            {"availabilities": [{"da\x00te": 1}]},
            "availabilities.0 keys must not contain NUL characters",
        ),
    ],
)
def test_nul_in_a_key_is_refused_even_where_unknown_fields_are_ignored(ny, extra, message):
    body = {"locationId": ny.location_id, "name": "Keys", **extra}

    refused(ny.post("/calendars/", json=body), message)
    assert calendars_of(ny) == []


def test_nul_in_an_appointment_is_refused(ny):
    calendar_id = make_calendar(ny)
    body = {
        "calendarId": calendar_id,
        "locationId": ny.location_id,
        "contactId": "contact-1",
        "startTime": "2026-03-02T09:00:00-05:00",
        "title": "Intro\x00call",
    }

    refused(
        ny.post("/calendars/events/appointments", json=body),
        "title must not contain NUL characters",
    )


def test_nul_is_found_in_any_body_the_validator_reads(ny):
    """`1e400` overflows many JSON parsers, not Pydantic's: the NUL check reads alike."""
    raw = b'{"locationId": "%s", "name": "x\\u0000", "description": "d", "junk": 1e400}'

    response = ny.post(
        "/calendars/groups",
        content=raw % ny.location_id.encode(),
        headers={"Content-Type": "application/json"},
    )

    refused(response, "name must not contain NUL characters")
    assert groups_of(ny) == []


def test_escaped_backslashes_are_not_nul_characters(ny):
    body = {
        "locationId": ny.location_id,
        "name": "back\\u0000slash",
        "description": "d",
        "slug": "backslash",
    }

    response = ny.post("/calendars/groups", json=body)

    assert response.status_code == 201, response.text
    assert response.json()["group"]["name"] == "back\\u0000slash"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/calendars/abc%00def"),
        ("DELETE", "/calendars/groups/%00"),
        ("GET", "/calendars/events/appointments/x%00/notes"),
    ],
)
def test_nul_in_the_path_is_refused(ny, method, path):
    refused(ny.request(method, path), "path must not contain NUL characters")


def test_nul_in_the_path_is_refused_before_auth(client):
    refused(client.get("/calendars/abc%00"), "path must not contain NUL characters")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("locationId=%00", "locationId must not contain NUL characters"),
        ("locationId=ok&userId=a%00b", "userId must not contain NUL characters"),
        ("loc%00ationId=x", "query parameter names must not contain NUL characters"),
    ],
)
def test_nul_in_the_query_is_refused(ny, query, message):
    refused(ny.get(f"/calendars/groups?{query}"), message)


# Instants: 1900-01-01T00:00:00Z up to (not including) 9000-01-01T00:00:00Z.


@pytest.mark.parametrize(
    ("start", "end", "messages"),
    [
        ("9999-12-30", "9999-12-31", ["startDate must be before 9000-01-01"]),
        ("8999-12-31", "9000-01-01", ["endDate must be before 9000-01-01"]),
        ("0001-01-01", "0001-01-01", ["startDate must not be before 1900-01-01"]),
        ("1899-12-31", "1900-01-01", ["startDate must not be before 1900-01-01"]),
        (str(MAX_EPOCH_MS - DAY_MS), str(MAX_EPOCH_MS + 1), [f"endDate {AFTER_9000}"]),
        (str(MIN_EPOCH_MS - 1), str(MIN_EPOCH_MS + DAY_MS), [f"startDate {BEFORE_1900}"]),
        ("253402300799999", "253402300799999", [f"startDate {AFTER_9000}"]),
    ],
)
def test_free_slots_outside_the_years_are_refused(ny, start, end, messages):
    calendar_id = make_calendar(ny)

    response = ny.get(
        f"/calendars/{calendar_id}/free-slots", params={"startDate": start, "endDate": end}
    )

    refused(response, *messages)


@pytest.mark.parametrize(
    ("start", "end", "timezone"),
    [
        ("1900-01-01", "1900-01-31", "Pacific/Kiritimati"),
        ("8999-12-01", "8999-12-31", "Pacific/Pago_Pago"),
        (str(MIN_EPOCH_MS), str(MIN_EPOCH_MS + DAY_MS), "UTC"),
        (str(MAX_EPOCH_MS - DAY_MS), str(MAX_EPOCH_MS), "Pacific/Kiritimati"),
    ],
)
def test_free_slots_at_the_edges_of_the_years_are_answered(ny, start, end, timezone):
    calendar_id = make_calendar(ny, days=("monday", "friday", "sunday"))

    response = ny.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": start, "endDate": end, "timezone": timezone},
    )

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("9999-12-31T23:59:00Z", f"startTime {AFTER_9000}"),
        ("9000-01-01T00:00:00Z", f"startTime {AFTER_9000}"),
        ("1899-12-31T23:59:59.999Z", f"startTime {BEFORE_1900}"),
        ("0001-01-01T00:00:00", f"startTime {BEFORE_1900}"),
        (MIN_EPOCH_MS - 1, f"startTime {BEFORE_1900}"),
    ],
)
@pytest.mark.parametrize("unchecked", [False, True])
def test_appointments_outside_the_years_are_refused(ny, start, message, unchecked):
    calendar_id = make_calendar(ny)
    body = {
        "calendarId": calendar_id,
        "locationId": ny.location_id,
        "contactId": "contact-1",
        "startTime": start,
    }
    if unchecked:
        body |= {"endTime": "2026-03-02T10:00:00Z", "ignoreFreeSlotValidation": True}

    refused(ny.post("/calendars/events/appointments", json=body), message)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("1900-01-01T00:00:00Z", "1900-01-01T00:30:00Z"),
        ("8999-12-31T23:00:00Z", "8999-12-31T23:30:00Z"),
    ],
)
def test_appointments_at_the_edges_are_booked_and_read_back(ny, start, end):
    calendar_id = make_calendar(ny)
    body = {
        "calendarId": calendar_id,
        "locationId": ny.location_id,
        "contactId": "contact-1",
        "startTime": start,
        "endTime": end,
        "ignoreFreeSlotValidation": True,
    }

    created = ny.post("/calendars/events/appointments", json=body)
    assert created.status_code == 200, created.text
    read = ny.get(f"/calendars/events/appointments/{created.json()['id']}")
    assert read.status_code == 200, read.text


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("9999-12-31T23:00:00Z", "9999-12-31T23:59:00Z", f"startTime {AFTER_9000}"),
        ("8999-12-31T23:00:00Z", "9000-01-01T00:00:00Z", f"endTime {AFTER_9000}"),
        ("1899-12-31T23:00:00Z", "1900-01-01T01:00:00Z", f"startTime {BEFORE_1900}"),
    ],
)
def test_block_slots_outside_the_years_are_refused(ny, start, end, message):
    body = {
        "locationId": ny.location_id,
        "assignedUserId": "ann",
        "startTime": start,
        "endTime": end,
    }

    refused(ny.post("/calendars/events/block-slots", json=body), message)


def test_block_slots_at_the_edges_are_made_and_listed(ny):
    for start, end in [
        ("1900-01-01T00:00:00Z", "1900-01-01T01:00:00Z"),
        ("8999-12-31T23:00:00Z", "8999-12-31T23:59:59Z"),
    ]:
        body = {"locationId": ny.location_id, "assignedUserId": "ann", "startTime": start}
        created = ny.post("/calendars/events/block-slots", json={**body, "endTime": end})
        assert created.status_code == 201, created.text

    for start_ms, end_ms in [
        (MIN_EPOCH_MS, MIN_EPOCH_MS + DAY_MS),
        (MAX_EPOCH_MS - DAY_MS, MAX_EPOCH_MS),
    ]:
        listed = ny.get(
            "/calendars/blocked-slots",
            params={
                "locationId": ny.location_id,
                "userId": "ann",
                "startTime": start_ms,
                "endTime": end_ms,
            },
        )
        assert listed.status_code == 200, listed.text
        assert len(listed.json()["events"]) == 1


@pytest.mark.parametrize("path", ["/calendars/events", "/calendars/blocked-slots"])
@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (-62135596800000, 0, f"startTime {BEFORE_1900}"),
        (0, 253402300799999, f"endTime {AFTER_9000}"),
        (MIN_EPOCH_MS - 1, MIN_EPOCH_MS, f"startTime {BEFORE_1900}"),
        (MAX_EPOCH_MS, MAX_EPOCH_MS + 1, f"endTime {AFTER_9000}"),
    ],
)
def test_event_lists_outside_the_years_are_refused(ny, path, start, end, message):
    params = {"locationId": ny.location_id, "userId": "ann", "startTime": start, "endTime": end}

    refused(ny.get(path, params=params), message)


# Time zones: only the IANA names, never a file of the zone database that is not a zone.


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory", "posix/UTC", "right/UTC"])
def test_zone_database_files_that_are_no_zone_are_refused_everywhere(ny, client, name):
    location = client.post(
        "/admin/locations", json={"name": "Zone", "timezone": name}, headers=ADMIN_HEADERS
    )
    refused(location, "timezone must be a valid IANA time zone")

    calendar_id = make_calendar(ny)
    slots = ny.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": "2026-03-02", "endDate": "2026-03-03", "timezone": name},
    )
    refused(slots, "timezone must be a valid IANA time zone")

    schedule = ny.post(
        "/calendars/schedules",
        json={
            "locationId": ny.location_id,
            "name": "Hours",
            "userId": "ann",
            "timezone": name,
            "rules": [],
        },
    )
    assert schedule.status_code == 422, schedule.text
    assert schedule.json()["message"] == ["timezone must be a valid IANA time zone"]


@pytest.mark.parametrize("name", ["UTC", "Etc/GMT+5", "US/Eastern", "America/New_York"])
def test_iana_zone_names_are_accepted(client, name):
    location = client.post(
        "/admin/locations", json={"name": "Zone", "timezone": name}, headers=ADMIN_HEADERS
    )

    assert location.status_code == 201, location.text


# The OpenAPI document lists the admin API only where it exists.


def admin_paths(client) -> list[str]:
    document = client.get("/openapi.json")
    assert document.status_code == 200
    return [path for path in document.json()["paths"] if path.startswith("/admin")]


def test_openapi_lists_the_admin_api_only_when_it_is_on(client, database_url):
    assert "/admin/locations" in admin_paths(client)
    assert "/admin/webhooks" in admin_paths(client)

    app = create_app(Settings(database_url=database_url, admin_key=None))
    with TestClient(app) as without_admin:
        assert admin_paths(without_admin) == []
        assert "/calendars/groups" in without_admin.get("/openapi.json").json()["paths"]
    app.state.db.dispose()


def test_every_body_is_read_through_json_body(app):
    """FastAPI's own body parameters would skip the NUL check and the strict parsing."""
    assert [
        route.path
        for route in app.routes
        if getattr(route, "dependant", None) is not None and route.dependant.body_params
    ] == []
