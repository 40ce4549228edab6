"""The admin API (PRODUCT §2): locations, tokens and the clock, behind the admin key."""

import re

import pytest
from fastapi.testclient import TestClient

from opencalendars.app import create_app
from opencalendars.http.auth import ALL_SCOPES
from opencalendars.settings import Settings
from support.api import ADMIN_HEADERS

ID = re.compile(r"^[A-Za-z0-9]{20}$")
# What a new location decides about contacts unless told (tests/contacts/ test each).
CONTACT_DEFAULTS = {"requireContacts": True, "country": None, "allowDuplicateContacts": False}
# No company: a location of its own (docs/marketplace.md).
NO_COMPANY = {"companyId": None}


def test_without_an_admin_key_every_admin_path_is_404(database_url):
    app = create_app(Settings(database_url=database_url, admin_key=None))
    with TestClient(app) as client:
        for method, path in [
            ("POST", "/admin/locations"),
            ("GET", "/admin/locations"),
            ("POST", "/admin/tokens"),
            ("DELETE", "/admin/tokens/abc"),
            ("PUT", "/admin/clock"),
            ("PATCH", "/admin/clock"),
        ]:
            response = client.request(method, path, headers=ADMIN_HEADERS, json={})
            assert response.status_code == 404, (method, path)
            assert response.json() == {
                "statusCode": 404,
                "message": f"Cannot {method} {path}",
                "error": "Not Found",
            }
    app.state.db.dispose()


@pytest.mark.parametrize("header", [None, "Bearer wrong", "test-admin-key"])
def test_admin_needs_the_key(client, header):
    headers = {"Authorization": header} if header else {}

    response = client.get("/admin/locations", headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "message": "A valid admin key is required",
        "error": "Unauthorized",
    }


def test_create_location(client):
    response = client.post(
        "/admin/locations",
        json={"name": "Clinic", "timezone": "America/New_York"},
        headers=ADMIN_HEADERS,
    )

    assert response.status_code == 201
    location = response.json()["location"]
    assert ID.match(location["id"])
    assert response.json() == {
        "location": {
            "id": location["id"],
            "name": "Clinic",
            "timezone": "America/New_York",
            **CONTACT_DEFAULTS,
            **NO_COMPANY,
        }
    }
    listed = client.get("/admin/locations", headers=ADMIN_HEADERS).json()["locations"]
    assert location in listed


def test_create_location_with_its_own_id_and_the_default_zone(client):
    response = client.post(
        "/admin/locations",
        json={"name": "Mine", "id": "ve9EPM428h8vShlRW1KT"},
        headers=ADMIN_HEADERS,
    )
    again = client.post(
        "/admin/locations",
        json={"name": "Dup", "id": "ve9EPM428h8vShlRW1KT"},
        headers=ADMIN_HEADERS,
    )

    assert response.json() == {
        "location": {
            "id": "ve9EPM428h8vShlRW1KT",
            "name": "Mine",
            "timezone": "UTC",
            **CONTACT_DEFAULTS,
            **NO_COMPANY,
        }
    }
    assert again.status_code == 409
    assert again.json() == {
        "statusCode": 409,
        "message": "Location ve9EPM428h8vShlRW1KT already exists",
        "error": "Conflict",
    }


@pytest.mark.parametrize("timezone", ["Mars/Olympus", "", "../etc/passwd", "EST5EDT/x"])
def test_create_location_refuses_unknown_zones(client, timezone):
    response = client.post(
        "/admin/locations", json={"name": "X", "timezone": timezone}, headers=ADMIN_HEADERS
    )

    assert response.status_code == 400
    assert response.json()["message"] == ["timezone must be a valid IANA time zone"]


def test_create_token_with_all_scopes_by_default(client, tenant):
    response = client.post(
        "/admin/tokens", json={"locationId": tenant.location_id}, headers=ADMIN_HEADERS
    )

    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("pit-")
    assert body["locationId"] == tenant.location_id
    assert body["scopes"] == list(ALL_SCOPES)
    assert ID.match(body["id"])


def test_create_token_with_chosen_scopes(client, tenant):
    response = client.post(
        "/admin/tokens",
        json={"locationId": tenant.location_id, "scopes": ["calendars.readonly"], "name": "ro"},
        headers=ADMIN_HEADERS,
    )

    assert response.json()["scopes"] == ["calendars.readonly"]
    assert response.json()["name"] == "ro"


def test_create_token_refuses_unknown_scopes_and_locations(client, tenant):
    bad_scope = client.post(
        "/admin/tokens",
        json={"locationId": tenant.location_id, "scopes": ["contacts.bogus"]},
        headers=ADMIN_HEADERS,
    )
    bad_location = client.post(
        "/admin/tokens", json={"locationId": "nowhere"}, headers=ADMIN_HEADERS
    )

    assert bad_scope.status_code == 400
    assert bad_scope.json()["message"] == ["scopes must only contain " + ", ".join(ALL_SCOPES)]
    assert bad_location.status_code == 404
    assert bad_location.json() == {
        "statusCode": 404,
        "message": "Location not found",
        "error": "Not Found",
    }


def test_list_tokens_never_shows_secrets(client, tenant):
    response = client.get(
        "/admin/tokens", params={"locationId": tenant.location_id}, headers=ADMIN_HEADERS
    )

    tokens = response.json()["tokens"]
    assert [token["id"] for token in tokens] == [tenant.token_id]
    assert "token" not in tokens[0]
    assert tenant.token not in response.text


def test_revoking_an_unknown_token_is_404(client):
    response = client.delete("/admin/tokens/unknown", headers=ADMIN_HEADERS)

    assert response.status_code == 404
    assert response.json()["message"] == "Token not found"


def test_clock_freezes_and_releases(client, tenant):
    frozen = client.put(
        "/admin/clock", json={"now": "2027-03-10T09:30:00-05:00"}, headers=ADMIN_HEADERS
    )
    read = client.get("/admin/clock", headers=ADMIN_HEADERS)
    token = client.post(
        "/admin/tokens", json={"locationId": tenant.location_id}, headers=ADMIN_HEADERS
    )
    released = client.delete("/admin/clock", headers=ADMIN_HEADERS)

    expected = {"now": "2027-03-10T14:30:00.000Z", "nowMs": 1_804_689_000_000, "frozen": True}
    assert frozen.json() == read.json() == expected
    # Everything that asks for "now" follows the frozen clock.
    assert token.json()["dateAdded"] == "2027-03-10T14:30:00.000Z"
    assert released.json()["frozen"] is False
    assert abs(released.json()["nowMs"] - frozen.json()["nowMs"]) > 0


def test_clock_takes_epoch_milliseconds(client):
    response = client.put("/admin/clock", json={"now": 1_700_000_000_123}, headers=ADMIN_HEADERS)
    client.delete("/admin/clock", headers=ADMIN_HEADERS)

    assert response.json() == {
        "now": "2023-11-14T22:13:20.123Z",
        "nowMs": 1_700_000_000_123,
        "frozen": True,
    }


@pytest.mark.parametrize("now", ["yesterday", True, None, 1.5])
def test_clock_refuses_what_is_not_an_instant(client, now):
    response = client.put("/admin/clock", json={"now": now}, headers=ADMIN_HEADERS)

    assert response.status_code == 400
    assert client.get("/admin/clock", headers=ADMIN_HEADERS).json()["frozen"] is False
