"""Tokens, scopes, the Version header and tenancy (PRODUCT §2)."""

import pytest

from support.api import ADMIN_HEADERS, create_tenant

INVALID_TOKEN = {
    "statusCode": 401,
    "message": "Invalid token: access token is invalid",
    "error": "Unauthorized",
}


def groups_path(tenant):
    return f"/calendars/groups?locationId={tenant.location_id}"


def test_missing_token_is_401(client, tenant):
    response = client.get(groups_path(tenant), headers={"Version": "v3"})

    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "message": "Authorization header with a Bearer token is required",
        "error": "Unauthorized",
    }


@pytest.mark.parametrize("header", ["Bearer pit-00000000-0000-0000-0000-000000000000", "Basic x"])
def test_unknown_token_is_401(client, tenant, header):
    response = client.get(groups_path(tenant), headers={"Version": "v3", "Authorization": header})

    assert response.status_code == 401
    if header.startswith("Bearer"):
        assert response.json() == INVALID_TOKEN


def test_revoked_token_is_401(client, tenant):
    assert tenant.get(groups_path(tenant)).status_code == 200

    revoked = client.delete(f"/admin/tokens/{tenant.token_id}", headers=ADMIN_HEADERS)

    assert revoked.status_code == 200
    response = tenant.get(groups_path(tenant))
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN


def test_tokens_are_stored_only_as_a_hash(app, tenant):
    from sqlalchemy import select

    from opencalendars.admin.models import ApiToken
    from opencalendars.http.auth import hash_token

    with app.state.db.read() as session:
        stored = session.scalar(select(ApiToken).where(ApiToken.id == tenant.token_id))
    assert tenant.token.startswith("pit-")
    assert stored.token_hash == hash_token(tenant.token)
    assert tenant.token not in {str(value) for value in vars(stored).values()}


def test_a_token_without_the_operations_scope_is_401_as_the_live_service_answers(client):
    reader = create_tenant(client, scopes=["calendars/groups.readonly"])

    listed = reader.get(groups_path(reader))
    created = reader.post(
        "/calendars/groups",
        json={"locationId": reader.location_id, "name": "G", "description": "", "slug": "g"},
    )

    assert listed.status_code == 200
    assert created.status_code == 401
    assert created.json() == {
        "statusCode": 401,
        "message": "The token is not authorized for this scope.",
        "error": "Unauthorized",
    }
    assert reader.get(groups_path(reader)).json() == {"groups": []}


def test_scope_is_checked_before_the_body(client):
    reader = create_tenant(client, scopes=["calendars.readonly"])

    response = reader.post("/calendars/groups", content=b"{not json")

    assert response.status_code == 401
    assert response.json()["message"] == "The token is not authorized for this scope."


def test_a_token_is_checked_before_the_body(client):
    response = client.post("/calendars/groups", content=b"{not json", headers={"Version": "v3"})

    assert response.status_code == 401


FORBIDDEN_LOCATION = {
    "statusCode": 403,
    "message": "The token does not have access to this location",
    "error": "Forbidden",
}


def test_naming_another_location_in_the_query_is_403(tenant, other_tenant):
    response = tenant.get(groups_path(other_tenant))

    assert response.status_code == 403
    assert response.json() == FORBIDDEN_LOCATION


def test_naming_another_location_in_the_body_is_403_and_writes_nothing(tenant, other_tenant):
    body = {"locationId": other_tenant.location_id, "name": "G", "description": "", "slug": "g"}

    created = tenant.post("/calendars/groups", json=body)
    validated = tenant.post(
        "/calendars/groups/validate-slug",
        json={"locationId": other_tenant.location_id, "slug": "g"},
    )

    assert created.status_code == validated.status_code == 403
    assert created.json() == validated.json() == FORBIDDEN_LOCATION
    assert other_tenant.get(groups_path(other_tenant)).json() == {"groups": []}


def test_missing_version_header_is_400(client, tenant):
    response = client.get(groups_path(tenant), headers={"Authorization": f"Bearer {tenant.token}"})

    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": ["Version header should not be empty (2021-04-15, 2021-07-28, v3)"],
        "error": "Bad Request",
    }


@pytest.mark.parametrize("version", ["2021-04-16", "v2", "", "V3"])
def test_unknown_version_is_400(tenant, version):
    response = tenant.get(groups_path(tenant), headers={"Version": version})

    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "message": [
            "Version header must be one of the following values: 2021-04-15, 2021-07-28, v3"
        ],
        "error": "Bad Request",
    }


@pytest.mark.parametrize("version", ["2021-04-15", "2021-07-28", "v3"])
def test_each_supported_version_is_accepted(tenant, version):
    response = tenant.get(groups_path(tenant), headers={"Version": version})

    assert response.status_code == 200
    assert response.json() == {"groups": []}
