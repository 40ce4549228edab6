"""`/openapi.json` and `/docs`: the contract the server serves, offline (issue 20), the
contacts operations included (issue 16)."""

import re
from html.parser import HTMLParser
from typing import Annotated

import jsonschema
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from openapi_spec_validator import validate

from opencalendars.app import add_routes, create_app
from opencalendars.groups.router import router as groups_router
from opencalendars.http import openapi
from opencalendars.http.auth import API_VERSIONS
from opencalendars.http.openapi import build_openapi
from opencalendars.http.validation import json_body
from opencalendars.settings import Settings
from support.api import ADMIN_HEADERS
from support.contacts_contract import SERVED_CONTACTS, contacts_contract
from support.contract import contract, operations

VERSION_REF = {"$ref": "#/components/parameters/Version"}
ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
AIP_ERROR = {"$ref": "#/components/schemas/AipErrorResponseDto"}
OAUTH_ERROR = {"$ref": "#/components/schemas/OAuthError"}
# The 4xx answers that are not the envelope: the token endpoint's refusals (RFC 6749's format),
# and the v3 list's, in the spec's AIP shape.
OAUTH_ERRORS = {
    ("post", "/oauth/token"): {"400": OAUTH_ERROR, "401": OAUTH_ERROR},
    ("get", "/oauth/installed-locations"): {
        "400": AIP_ERROR,
        "404": AIP_ERROR,
    },
}
OAUTH_V3 = "oauth-v3.facts.json"
OAUTH_2021 = "oauth.facts.json"
# The OAuth API's paths in /openapi.json: v3's, and the 2021-07-28 edition's own.
OAUTH_PATHS = {
    ("post", "/oauth/token"): OAUTH_V3,
    ("post", "/oauth/location-token"): OAUTH_V3,
    ("get", "/oauth/installed-locations"): OAUTH_V3,
    ("post", "/oauth/locationToken"): OAUTH_2021,
    ("get", "/oauth/installedLocations"): OAUTH_2021,
}
# The live service's status where it differs from the spec's (docs/fidelity.md).
LIVE_STATUSES = {("delete", "/calendars/events/{eventId}"): ("201", "200")}
# Named in both specs but defined otherwise: the calendars' are documented (appointment notes);
# the contacts notes operations, which use the others, are not served.
NOTE_SCHEMAS = {
    "NotesDTO",
    "GetNoteSchema",
    "DeleteNoteSuccessfulResponseDto",
    "GetCreateUpdateNoteSuccessfulResponseDto",
    "GetNotesListSuccessfulResponseDto",
}


@pytest.fixture(scope="module")
def document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def contract_operations(app):
    """(method, path, the extract's operation) of every contract operation the app routes."""
    paths = contract()["paths"]
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in sorted(m.lower() for m in route.methods if m != "HEAD"):
                if method in paths.get(route.path, {}):
                    yield method, route.path, paths[route.path][method]


def documented_parameters(facts):
    """The extract's parameters as the document gives them: `Version` by reference."""
    return [
        VERSION_REF
        if (p["in"], p["name"]) == ("header", "Version")
        else {key: p[key] for key in ("name", "in", "required", "schema")}
        for p in facts["parameters"]
    ]


def reachable(node, schemas):
    """The schema names `node` reaches through `$ref`s, transitively."""
    found, pending = set(), [node]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in found:
                    found.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def resolve(document, node):
    while "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = document["components"][section][name]
    return node


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)

    assert document["openapi"] == "3.1.0"


def test_every_served_contract_operation_has_the_extract_s_parameters_body_and_scope(app, document):
    served = list(contract_operations(app))

    assert len(served) == 59
    for method, path, facts in served:
        operation = document["paths"][path][method]
        assert operation["operationId"] == facts["operationId"]
        assert operation["tags"] == facts["tags"] != []
        expected = documented_parameters(facts)
        assert operation["parameters"][: len(expected)] == expected, (method, path)
        documented_path = {p["name"] for p in operation["parameters"] if p.get("in") == "path"}
        assert documented_path == set(re.findall(r"\{(\w+)\}", path)), (method, path)
        if facts["requestBody"] is None:
            assert "requestBody" not in operation, (method, path)
        else:
            body = operation["requestBody"]
            assert body["required"] == facts["requestBody"]["required"]
            assert body["content"]["application/json"]["schema"] == facts["requestBody"]["schema"]
        assert operation["security"] == [{"bearer": facts["scopes"]}]


def test_the_spec_s_forgotten_path_parameters_are_documented(document):
    # The spec leaves `noteId` out of the parameters of two notes operations.
    path = "/calendars/appointments/{appointmentId}/notes/{noteId}"
    for method in ("put", "delete"):
        names = {p["name"] for p in contract()["paths"][path][method]["parameters"]}
        assert "noteId" not in names
        assert {
            "name": "noteId",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
        } in document["paths"][path][method]["parameters"]


def test_the_ten_contacts_operations_are_the_spec_s(document):
    facts = contacts_contract()["paths"]
    documented = {
        (method, path): operation
        for path, item in document["paths"].items()
        if path.startswith("/contacts")
        for method, operation in item.items()
    }

    # `POST /contacts` (no slash) is an alias the document does not list twice.
    assert "/contacts" not in document["paths"]
    assert set(documented) == set(SERVED_CONTACTS)
    for (method, path), operation in documented.items():
        spec = facts[path][method]
        assert operation["operationId"] == spec["operationId"] == SERVED_CONTACTS[(method, path)]
        assert operation["tags"] == spec["tags"] != []
        assert operation["parameters"] == documented_parameters(spec), (method, path)
        assert operation["security"] == [{"bearer": spec["scopes"]}]
        assert spec["scopes"] in (["contacts.readonly"], ["contacts.write"])
        if spec["requestBody"] is None:
            assert "requestBody" not in operation, (method, path)
        else:
            body = operation["requestBody"]
            assert body["required"] == spec["requestBody"]["required"]
            assert body["content"]["application/json"]["schema"] == spec["requestBody"]["schema"]
        # The spec's success status and schema (none for search and the duplicate lookup).
        successes = [s for s in operation["responses"] if s[0] == "2"]
        assert successes == [s for s in spec["responses"] if s[0] == "2"], (method, path)
        answer = operation["responses"][successes[0]]
        schema = spec["responses"][successes[0]]
        assert answer.get("content", {}).get("application/json", {}).get("schema") == schema
        # What the contacts area answers: never a 422 (invalid input is a 400), a 404 for an
        # unknown contact, a 403 for another location's id.
        errors = {s for s in operation["responses"] if s[0] == "4"}
        expected = {"400", "401"}
        if "{contactId}" in path:
            expected.add("404")
        if (method, path) in {
            ("post", "/contacts/"),
            ("post", "/contacts/upsert"),
            ("post", "/contacts/search"),
            ("get", "/contacts/search/duplicate"),
        }:
            expected.add("403")
        if spec["requestBody"] is not None:
            expected |= {"408", "413"}
        assert errors == expected, (method, path)


def test_the_contacts_tags_follow_the_calendars_ones(document):
    names = [tag["name"] for tag in document["tags"]]
    calendars = list(dict.fromkeys(tag for _, _, op in operations() for tag in op["tags"]))
    contacts = list(
        dict.fromkeys(
            tag
            for (method, path) in SERVED_CONTACTS
            for tag in contacts_contract()["paths"][path][method]["tags"]
        )
    )

    assert contacts
    assert not set(contacts) & set(calendars)
    assert names[: len(calendars)] == calendars
    assert sorted(names[len(calendars) : len(calendars) + len(contacts)]) == sorted(contacts)


def test_the_contacts_schemas_are_the_reachable_ones_and_none_clashes(document):
    schemas = document["components"]["schemas"]
    calendars = contract()["components"]["schemas"]
    contacts = contacts_contract()["components"]["schemas"]
    paths = contacts_contract()["paths"]
    reached = set()
    for method, path in SERVED_CONTACTS:
        # The error answers are the envelope: the spec's bodies and successes are documented.
        spec = paths[path][method]
        answers = {s: schema for s, schema in spec["responses"].items() if s[0] == "2"}
        reached |= reachable([spec["requestBody"], answers], contacts)

    assert reached and reached <= set(schemas)
    # The whole spec operation reaches no other note than these, nor a clashing one.
    everything = set().union(*(reachable(paths[p][m], contacts) for m, p in SERVED_CONTACTS))
    assert everything - reached == {"BadRequestDTO", "UnauthorizedDTO", "UnprocessableDTO"}
    for name in reached:
        assert schemas[name] == contacts[name], name
    # Every other schema of the contacts spec in the document is the calendars' one, alike.
    for name in set(contacts) & set(schemas) - reached:
        assert schemas[name] == calendars[name], name
    assert not (set(contacts) - set(calendars) - reached) & set(schemas)
    # The calendars' schemas are kept as they are, those named like a contacts one included.
    for name in set(calendars) & set(schemas):
        assert schemas[name] == calendars[name], name
    shared = set(calendars) & set(contacts)
    assert {name for name in shared if calendars[name] != contacts[name]} == NOTE_SCHEMAS
    assert {name for name in shared if calendars[name] == contacts[name]} == {
        "BadRequestDTO",
        "UnauthorizedDTO",
        "UnprocessableDTO",
    }
    # The contacts notes schemas are not in it, and no contacts operation reaches a note.
    assert not reached & NOTE_SCHEMAS
    for name in NOTE_SCHEMAS & set(schemas):
        assert schemas[name] == calendars[name] != contacts[name], name
    assert "UpdateNoteDTO" in contacts and "UpdateNoteDTO" not in schemas


def test_serving_an_operation_that_reaches_a_clashing_schema_fails_loudly():
    router = APIRouter()

    @router.post("/contacts/{contactId}/notes")
    def create_note(contactId: str, body: Annotated[dict, json_body(dict)]):  # pragma: no cover
        return body

    app = FastAPI()
    add_routes(app, router)

    with pytest.raises(ValueError, match="NotesDTO"):
        build_openapi(app)


def test_only_routes_the_app_has_are_documented():
    app = FastAPI()
    add_routes(app, groups_router)

    document = build_openapi(app)

    assert sorted(document["paths"]) == [
        "/calendars/groups",
        "/calendars/groups/validate-slug",
        "/calendars/groups/{groupId}",
        "/calendars/groups/{groupId}/status",
    ]
    assert "CalendarDTO" not in document["components"]["schemas"]
    validate(document)


def test_success_statuses_are_the_routes_with_the_spec_s_schema(app, document):
    differences = {}
    for method, path, facts in contract_operations(app):
        documented = [s for s in document["paths"][path][method]["responses"] if s[0] == "2"]
        spec = [s for s in facts["responses"] if s[0] == "2"]
        assert len(documented) == len(spec) == 1
        response = document["paths"][path][method]["responses"][documented[0]]
        assert response["content"]["application/json"]["schema"] == facts["responses"][spec[0]]
        if documented != spec:
            differences[(method, path)] = (spec[0], documented[0])

    assert differences == LIVE_STATUSES


def test_bearer_security_and_the_version_header(app, document):
    components = document["components"]

    assert components["securitySchemes"]["bearer"]["type"] == "http"
    assert components["securitySchemes"]["bearer"]["scheme"] == "bearer"
    version = components["parameters"]["Version"]
    assert (version["name"], version["in"], version["required"]) == ("Version", "header", True)
    assert version["schema"]["enum"] == list(API_VERSIONS)
    assert version["schema"]["default"] == version["example"] == "2021-07-28"
    for method, path, _facts in contract_operations(app):
        assert VERSION_REF in document["paths"][path][method]["parameters"]


def test_the_documented_defaults_are_answered(tenant):
    response = tenant.get(
        f"/calendars/groups?locationId={tenant.location_id}", headers={"Version": "2021-07-28"}
    )

    assert response.status_code == 200


def test_no_422_validation_shape_every_4xx_is_the_envelope(document):
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    unprocessable = set()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    schema = resolve(document, response)["content"]["application/json"]["schema"]
                    # But for the OAuth specs' own error answers.
                    expected = OAUTH_ERRORS.get((method, path), {}).get(status, ENVELOPE)
                    assert schema == expected, (method, path, status)
                if status == "422":
                    unprocessable.add(operation["operationId"])

    # Only the schedule operations whose rules the server checks answer 422 (the spec's list).
    assert unprocessable == {
        "createSchedule",
        "updateSchedule",
        "createCalendarSchedule",
        "updateCalendarSchedule",
    }


def test_the_envelope_schema_matches_real_error_answers(tenant, client, document):
    envelope = {
        **document["components"]["schemas"]["ErrorEnvelope"],
        "unevaluatedProperties": False,
    }
    validator = jsonschema.Draft202012Validator(envelope)
    schedule = {
        "locationId": tenant.location_id,
        "name": "Hours",
        "userId": "u",
        "timezone": "Mars/Olympus",
        "rules": [],
    }
    answers = {
        400: tenant.post("/calendars/events/appointments", json={}),
        401: client.get("/calendars/groups"),
        403: tenant.get("/calendars/groups?locationId=elsewhere"),
        404: tenant.get("/calendars/" + "x" * 20),
        422: tenant.post("/calendars/schedules", json=schedule),
    }
    for status, response in answers.items():
        assert response.status_code == status, response.text
        validator.validate(response.json())


def test_the_oauth_api_is_v3_and_the_2021_edition_s_own_paths(document):
    documented = {
        (method, path): operation
        for path, item in document["paths"].items()
        if path.startswith("/oauth/")
        for method, operation in item.items()
    }
    v3_ids = {
        op["operationId"] for item in contract(OAUTH_V3)["paths"].values() for op in item.values()
    }

    assert documented.keys() == OAUTH_PATHS.keys()
    # Both editions have the token endpoint: v3's is documented, the one the SDK speaks.
    assert set(contract(OAUTH_2021)["paths"]) & set(contract(OAUTH_V3)["paths"]) == {"/oauth/token"}
    for (method, path), edition in OAUTH_PATHS.items():
        operation, facts = documented[(method, path)], contract(edition)["paths"][path][method]
        # Operation ids are unique: the 2021 edition's, which v3 has too, say their edition.
        spec_id = facts["operationId"]
        expected_id = f"{spec_id}-2021-07-28" if edition == OAUTH_2021 else spec_id
        assert spec_id in v3_ids and operation["operationId"] == expected_id, path
        assert operation["tags"] == facts["tags"] == ["OAuth 2.0"]
        successes = [s for s in operation["responses"] if s[0] == "2"]
        assert successes == ["200"]
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer == facts["responses"]["200"], path
        # No 422 (invalid input is a 400), no 403 (a location outside the company is a 400).
        assert not {"403", "422"} & set(operation["responses"]), path
        if facts["requestBody"] is None:
            assert "requestBody" not in operation, path
        else:
            # Under the spec's media types: forms (and JSON too for v3's token endpoint).
            body = operation["requestBody"]
            assert body["required"] == facts["requestBody"]["required"] is True
            assert list(body["content"]) == facts["requestBody"]["mediaTypes"], path
            for media in body["content"].values():
                assert media == {"schema": facts["requestBody"]["schema"]}
        if path == "/oauth/token":
            continue
        # The agency operations: a company's bearer token with the scope, the Version header.
        assert operation["parameters"] == documented_parameters(facts), path
        assert operation["security"] == [{"bearer": facts["scopes"]}]
        assert facts["scopes"] in (["oauth.readonly"], ["oauth.write"])
        assert facts["securitySchemes"] == ["Agency-Access-Only"]
        errors = {s for s in operation["responses"] if s[0] == "4"}
        expected = {"400", "401"}
        if facts["requestBody"] is not None:
            expected |= {"408", "413"}
        if method == "get":
            expected.add("404")  # an app id other than the token's
        assert errors == expected, path


def test_the_token_endpoint_asks_no_token_and_refuses_in_oauth_s_format(client, document):
    operation = document["paths"]["/oauth/token"]["post"]
    facts = contract(OAUTH_V3)["paths"]["/oauth/token"]["post"]

    assert facts["scopes"] == [] and "securitySchemes" not in facts
    assert "security" not in operation and "security" not in document
    # v3 lists a Version header, the 2021 edition none: the server reads none.
    assert [p["name"] for p in facts["parameters"]] == ["Version"]
    (version,) = operation["parameters"]
    assert (version["name"], version["in"], version["required"]) == ("Version", "header", False)
    assert version["schema"]["enum"] == list(API_VERSIONS)
    responses = operation["responses"]
    assert sorted(responses) == ["200", "400", "401", "408", "413"]
    assert responses["400"] == {"$ref": "#/components/responses/OAuthBadRequest"}
    assert responses["401"] == {"$ref": "#/components/responses/OAuthUnauthorized"}
    oauth_error = {
        **document["components"]["schemas"]["OAuthError"],
        "unevaluatedProperties": False,
    }
    validator = jsonschema.Draft202012Validator(oauth_error)
    refused = {
        400: client.post("/oauth/token", data={"grant_type": "authorization_code"}),
        401: client.post(
            "/oauth/token",
            data={"client_id": "nobody", "client_secret": "x", "grant_type": "refresh_token"},
        ),
    }
    for status, response in refused.items():
        assert response.status_code == status, response.text
        body = {**response.json(), "traceId": "0f6a7d0e-6e5b-4d2c-9a51-3a9f2b1c4d5e"}
        validator.validate(body)
        assert body["error"] == {400: "invalid_request", 401: "invalid_client"}[status]


def test_the_oauth_editions_schemas_are_v3_s_where_they_differ(document):
    schemas = document["components"]["schemas"]
    v3 = contract(OAUTH_V3)["components"]["schemas"]
    older = contract(OAUTH_2021)["components"]["schemas"]
    differ = {name for name in set(v3) & set(older) if v3[name] != older[name]}

    # v3 adds `refresh_token` to the 2021 answer of /oauth/locationToken (the server sends it).
    assert differ == {"GetLocationAccessTokenSuccessfulResponseDto"}
    (name,) = differ
    assert schemas[name] == v3[name]
    assert set(v3[name]["properties"]) - set(older[name]["properties"]) == {"refresh_token"}
    assert {**v3[name], "properties": older[name]["properties"]} == older[name]
    # The 2021 edition's own schemas its served paths reach are documented as they are.
    for name in ("GetInstalledLocationsSuccessfulResponseDto", "InstalledLocationSchema"):
        assert schemas[name] == older[name]
    for name in ("GetAccessTokenBodyDto", "GetLocationAccessCodeBodyDto", "AipErrorResponseDto"):
        assert schemas[name] == v3[name]
    # The 2021 token endpoint's snake_case DTOs are not: v3's operation is documented.
    assert "GetAccessCodebodyDto" not in schemas
    assert "GetAccessCodeSuccessfulResponseDto" not in schemas


def test_a_path_in_two_apis_still_fails_loudly(monkeypatch):
    # Two editions of one API may share a path; two APIs may not.
    monkeypatch.setattr(openapi, "APIS", ((OAUTH_V3,), (OAUTH_2021,)))
    openapi.contract.cache_clear()
    try:
        with pytest.raises(ValueError, match=re.escape("paths in two extracts: ['/oauth/token']")):
            openapi.contract()
    finally:
        openapi.contract.cache_clear()


def test_the_oauth_operations_say_429_when_rate_limits_are_on_but_the_token_endpoint(
    database_url,
):
    limited = create_app(Settings(database_url=database_url, admin_key=None))
    try:
        plain = limited.openapi()
    finally:
        if limited.state.rate_limiter is not None:
            limited.state.rate_limiter.close()
        limited.state.db.dispose()

    validate(plain)
    for method, path in OAUTH_PATHS:
        responses = plain["paths"][path][method]["responses"]
        assert ("429" in responses) == (path != "/oauth/token"), path


def test_admin_is_documented_under_its_tag_only_with_an_admin_key(database_url, document):
    admin = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "Admin" in operation["tags"]
    }
    assert {path for _, path in admin} == {p for p in document["paths"] if p.startswith("/admin")}
    assert ("post", "/admin/tokens") in admin
    for operation in admin.values():
        assert operation["security"] == [{"adminKey": []}]
        assert "401" in operation["responses"]
    assert document["components"]["securitySchemes"]["adminKey"]["scheme"] == "bearer"
    body = admin[("post", "/admin/locations")]["requestBody"]
    schema = resolve(document, body["content"]["application/json"]["schema"])
    assert body["required"] is True
    assert schema["required"] == ["name"]

    without = create_app(Settings(database_url=database_url, admin_key=None))
    try:
        plain = without.openapi()
    finally:
        if without.state.rate_limiter is not None:
            without.state.rate_limiter.close()
        without.state.db.dispose()
    validate(plain)
    tags = {tag for item in plain["paths"].values() for op in item.values() for tag in op["tags"]}
    assert "Admin" not in tags
    assert not [path for path in plain["paths"] if path.startswith("/admin")]
    assert "adminKey" not in plain["components"]["securitySchemes"]
    assert "LocationCreateDTO" not in plain["components"]["schemas"]
    # That app counts requests (rate limits on by default): its operations say 429; the
    # suite's app, with limits off, never answers one.
    booking = ("/calendars/events/appointments", "post")
    assert "429" in plain["paths"][booking[0]][booking[1]]["responses"]
    assert "429" not in document["paths"][booking[0]][booking[1]]["responses"]


def test_the_admin_api_s_documented_body_is_the_one_it_reads(client, document):
    schema = resolve(
        document,
        document["paths"]["/admin/locations"]["post"]["requestBody"]["content"]["application/json"][
            "schema"
        ],
    )
    body = {"name": "Documented", "timezone": "Europe/Paris"}
    jsonschema.Draft202012Validator(schema).validate(body)

    response = client.post("/admin/locations", json=body, headers=ADMIN_HEADERS)

    assert response.status_code == 201
    assert response.json()["location"]["timezone"] == "Europe/Paris"


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_the_docs_page_loads_only_local_assets(client):
    response = client.get("/docs")

    assert response.status_code == 200
    html = response.text
    assert "cdn" not in html.lower()
    assert "https://" not in html and "http://" not in html
    parser = Assets()
    parser.feed(html)
    assert parser.urls, html
    for url in parser.urls:
        assert url.startswith("/docs/assets/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    assert "/openapi.json" in html


def test_the_swagger_page_keeps_the_token_and_asks_no_validator(client):
    html = client.get("/docs").text

    assert '"persistAuthorization": true' in html
    assert '"validatorUrl": null' in html
    assert "/docs/assets/swagger-ui-bundle.js" in html


def test_there_is_no_redoc_page(client):
    # ReDoc loads its logo from a CDN even when its script is local: /docs is the one page.
    response = client.get("/redoc")

    assert response.status_code == 404
    assert response.json()["message"] == "Cannot GET /redoc"
