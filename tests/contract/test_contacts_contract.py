"""The served Contacts operations against the contract extract of both editions: the same paths,
methods, parameters and scopes; what is not served answers like any unknown path; and the
response check that the SDK and fuzzing tests rely on catches a broken answer."""

import re

import pytest
from fastapi.routing import APIRoute

from opencalendars.http.auth import ALL_SCOPES
from support.api import create_tenant
from support.contacts_contract import (
    CONTACTS_V3,
    CONTACTS_V2021,
    SERVED_CONTACTS,
    contact_response_errors,
    contacts_contract,
)

EDITIONS = (CONTACTS_V3, CONTACTS_V2021)
PATH_PARAMETER = re.compile(r"\{([^}]+)\}")


def contact_routes(app) -> dict[tuple[str, str], APIRoute]:
    return {
        (method.lower(), route.path): route
        for route in app.routes
        if isinstance(route, APIRoute)
        and route.include_in_schema
        and route.path.startswith("/contacts")
        for method in route.methods
    }


@pytest.mark.parametrize("edition", EDITIONS)
def test_both_editions_hold_the_served_operations_at_the_same_paths(edition):
    paths = contacts_contract(edition)["paths"]

    for (method, path), operation_id in SERVED_CONTACTS.items():
        assert paths[path][method]["operationId"] == operation_id


def test_the_server_routes_exactly_the_served_operations(app):
    assert contact_routes(app).keys() == SERVED_CONTACTS.keys()


@pytest.mark.parametrize("edition", EDITIONS)
def test_each_route_takes_the_spec_s_path_and_query_parameters(app, edition):
    routes = contact_routes(app)
    for method, path in SERVED_CONTACTS:
        operation = contacts_contract(edition)["paths"][path][method]
        route = routes[(method, path)]
        spec_path = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        spec_query = {
            p["name"]: p["required"] for p in operation["parameters"] if p["in"] == "query"
        }

        assert set(PATH_PARAMETER.findall(path)) == spec_path, path
        assert {p.name for p in route.dependant.path_params} == spec_path, path
        assert {
            p.name: p.field_info.is_required() for p in route.dependant.query_params
        } == spec_query, path
        # The body is read when, and only when, the spec has one.
        has_body = operation["requestBody"] is not None
        assert (method in ("post", "put") or path.endswith("/tags")) == has_body, path


def test_both_editions_name_the_same_scope_and_every_served_operation_demands_it(client):
    for (method, path), _operation_id in SERVED_CONTACTS.items():
        (scope,) = contacts_contract(CONTACTS_V3)["paths"][path][method]["scopes"]
        assert contacts_contract(CONTACTS_V2021)["paths"][path][method]["scopes"] == [scope]
        concrete = re.sub(r"\{[^}]+\}", "x" * 20, path)

        others = create_tenant(client, scopes=[s for s in ALL_SCOPES if s != scope])
        refused = others.request(method.upper(), concrete, json={})
        assert refused.status_code == 401, (method, path, refused.text)
        assert refused.json()["message"] == "The token is not authorized for this scope."
        scoped = create_tenant(client, scopes=[scope])
        assert scoped.request(method.upper(), concrete, json={}).status_code != 401, (method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/contacts/x/tasks"),
        ("POST", "/contacts/x/notes"),
        ("GET", "/contacts/business/b"),
        ("POST", "/contacts/bulk/business"),
        ("POST", "/contacts/x/followers"),
        ("POST", "/contacts/x/campaigns/c"),
        ("DELETE", "/contacts/x/campaigns/remove-all"),
        ("POST", "/contacts/x/workflow/w"),
        ("POST", "/contacts/bulk/tags/update/add"),
    ],
)
def test_what_is_not_built_answers_like_an_unknown_path(client, method, path):
    tenant = create_tenant(client, scopes=list(ALL_SCOPES))

    response = tenant.request(method, path, json={})

    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "message": f"Cannot {method} {path}",
        "error": "Not Found",
    }


def test_the_contact_response_check_catches_a_body_that_breaks_the_schema():
    good = {"contact": {"id": "c", "email": "a@b.co", "tags": ["x"], "customFields": []}}
    bad = {"contact": {"id": 1, "tags": "x", "customFields": [{"id": 2, "value": [1]}]}}

    assert contact_response_errors("/contacts/{contactId}", "get", 200, good) == []
    assert sorted(contact_response_errors("/contacts/{contactId}", "get", 200, bad)) == [
        "contact/customFields/0/id: 2 is not of type 'string'",
        "contact/id: 1 is not of type 'string'",
        "contact/tags: 'x' is not of type 'array'",
    ]
    # Our shapes for the answers the spec leaves without a schema.
    assert contact_response_errors("/contacts/search", "post", 200, {"contacts": []}) == [
        ": 'total' is a required property"
    ]
    assert (
        contact_response_errors(
            "/contacts/search/duplicate", "get", 200, {"contact": None}, CONTACTS_V2021
        )
        == []
    )
    assert contact_response_errors("/contacts/upsert", "post", 201, {}) == [
        "status 201 is not documented for POST /contacts/upsert"
    ]
