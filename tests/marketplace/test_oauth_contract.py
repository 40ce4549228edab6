"""The OAuth endpoints against both editions' extracts (`tests/contract/oauth.facts.json`, the
2021-07-28 edition, and `oauth-v3.facts.json`): every route the server has is one of theirs, with
their query parameters and scopes, and its real answers, driven through the whole flow as
tests/marketplace/test_oauth.py drives it, hold to their response schemas.

The token endpoint answers both spellings at once, so each of its answers is held to both
editions' DTOs; the agency endpoints are held to the DTO of the edition that spells their path.
"""

import pytest
from fastapi.routing import APIRoute

from marketplace.test_oauth import (
    AGENCY_SCOPES,
    FORM,
    bearer,
    exchange,
    install,
    make_app,
    make_company,
    make_location,
    token,
)
from opencalendars.http.auth import AgencyAuthorizer
from support.contract import contract, operation, response_schema_errors

OAUTH_2021 = "oauth.facts.json"
OAUTH_V3 = "oauth-v3.facts.json"
EDITIONS = (OAUTH_2021, OAUTH_V3)
VERSIONS = {OAUTH_2021: "2021-07-28", OAUTH_V3: "v3"}
TOKEN = "/oauth/token"
LOCATION_TOKEN = {OAUTH_2021: "/oauth/locationToken", OAUTH_V3: "/oauth/location-token"}
INSTALLED = {OAUTH_2021: "/oauth/installedLocations", OAUTH_V3: "/oauth/installed-locations"}
# Each edition's DTOs of the answers these tests check.
TOKEN_DTO = {
    OAUTH_2021: "GetAccessCodeSuccessfulResponseDto",
    OAUTH_V3: "GetAccessTokenSuccessfulResponseDto",
}
LOCATION_TOKEN_DTO = {
    OAUTH_2021: "GetLocationAccessTokenSuccessfulResponseDto",
    OAUTH_V3: "GetLocationAccessTokenV3SuccessfulResponseDto",
}
INSTALLED_DTO = {
    OAUTH_2021: "GetInstalledLocationsSuccessfulResponseDto",
    OAUTH_V3: "GetInstalledLocationsV3SuccessfulResponseDto",
}
AIP_ERROR = "AipErrorResponseDto"
# Query parameters of the spec that the routes do not read (FastAPI lets them through unread):
# the filters on an app version, a trial, a plan and the user's own locations. Reported; the
# routes should read them (`test_every_query_parameter_of_the_spec_is_read`).
# Routes that check their parameters themselves, so that every refusal is their edition's AIP
# error: FastAPI sees each parameter as optional; the route refuses a missing required one.
SELF_CHECKED = {(OAUTH_V3, "/oauth/installed-locations")}
# DTO properties no answer here has: there are no plans.
NEVER_SENT = {"planId"}


def schema_errors(path: str, method: str, status: int, body, edition: str) -> list[str]:
    """`support.contract.response_schema_errors` of the edition's OAuth extract."""
    return response_schema_errors(path, method, status, body, edition)


def dto_properties(edition: str, name: str) -> set[str]:
    return set(contract(edition)["components"]["schemas"][name]["properties"])


def oauth_routes(app) -> dict[tuple[str, str], APIRoute]:
    return {
        (method.lower(), route.path): route
        for route in app.routes
        if isinstance(route, APIRoute)
        and route.include_in_schema
        and route.path.startswith("/oauth/")
        for method in route.methods
    }


def spec_operations() -> dict[tuple[str, str], tuple[str, dict]]:
    """(method, path) -> (edition, facts) of both extracts; a path in both (the token
    endpoint) is v3's, as /openapi.json documents it."""
    found = {}
    for edition in (OAUTH_2021, OAUTH_V3):
        for path, item in contract(edition)["paths"].items():
            for method, facts in item.items():
                found[(method, path)] = (edition, facts)
    return found


@pytest.fixture
def agency(client):
    """An agency app on a company with three locations (named to list in this order), on the
    first two: its company token, the company and the locations."""
    company_id = make_company(client)
    app = make_app(client, scopes=AGENCY_SCOPES, distribution="agency")
    _install, code = install(client, app, companyId=company_id)
    answer = exchange(client, app, code, user_type="Company")
    locations = [make_location(client, company_id, name=f"{n} clinic") for n in "ABC"]
    for location_id in locations[:2]:
        install(client, app, locationId=location_id)
    return app, company_id, answer, locations


def agency_headers(answer: dict, edition: str) -> dict:
    return {**bearer(answer["access_token"]), "Version": VERSIONS[edition]}


# --- the extracts ---------------------------------------------------------------------------


def test_the_extracts_hold_the_facts_the_server_is_checked_against():
    for edition in EDITIONS:
        token_facts = operation(TOKEN, "post", edition)
        # The token endpoint asks no token; the agency endpoints a company's (an agency's).
        assert token_facts["scopes"] == [] and "securitySchemes" not in token_facts
        assert token_facts["responses"]["200"] == {
            "$ref": f"#/components/schemas/{TOKEN_DTO[edition]}"
        }
        location = operation(LOCATION_TOKEN[edition], "post", edition)
        installed = operation(INSTALLED[edition], "get", edition)
        assert location["scopes"] == ["oauth.write"] and installed["scopes"] == ["oauth.readonly"]
        for facts in (location, installed):
            assert facts["securitySchemes"] == ["Agency-Access-Only"]
        assert location["requestBody"]["mediaTypes"] == ["application/x-www-form-urlencoded"]
        assert location["responses"]["200"]["$ref"].endswith(LOCATION_TOKEN_DTO[edition])
        assert installed["responses"]["200"]["$ref"].endswith(INSTALLED_DTO[edition])
    # v3 takes the token form as JSON too, and answers the list's refusals in the AIP shape.
    assert operation(TOKEN, "post", OAUTH_2021)["requestBody"]["mediaTypes"] == [
        "application/x-www-form-urlencoded"
    ]
    assert operation(TOKEN, "post", OAUTH_V3)["requestBody"]["mediaTypes"] == [
        "application/x-www-form-urlencoded",
        "application/json",
    ]
    aip = {"$ref": f"#/components/schemas/{AIP_ERROR}"}
    v3_list = operation(INSTALLED[OAUTH_V3], "get", OAUTH_V3)["responses"]
    assert v3_list["400"] == v3_list["404"] == aip


def test_the_server_routes_exactly_the_extracts_oauth_operations(app):
    assert oauth_routes(app).keys() == spec_operations().keys()


def test_each_route_reads_the_spec_s_query_parameters_and_demands_its_scope(app):
    routes = oauth_routes(app)
    for (method, path), (edition, facts) in spec_operations().items():
        route = routes[(method, path)]
        spec_query = {p["name"]: p["required"] for p in facts["parameters"] if p["in"] == "query"}
        read = {p.name: p.field_info.is_required() for p in route.dependant.query_params}
        if (edition, path) in SELF_CHECKED:
            spec_query = dict.fromkeys(spec_query, False)
        assert read == spec_query, path
        assert not route.dependant.path_params
        scopes = [
            dependency.call.scope
            for dependency in route.dependant.dependencies
            if isinstance(dependency.call, AgencyAuthorizer)
        ]
        assert scopes == facts["scopes"], path


def test_every_query_parameter_of_the_spec_is_read(app):
    routes = oauth_routes(app)
    for (method, path), (_edition, facts) in spec_operations().items():
        spec_query = {p["name"] for p in facts["parameters"] if p["in"] == "query"}
        assert {p.name for p in routes[(method, path)].dependant.query_params} == spec_query


# --- the token endpoint ---------------------------------------------------------------------


def test_a_company_token_answer_is_both_editions_dto(agency):
    _app, _company_id, answer, _locations = agency

    for edition in EDITIONS:
        assert schema_errors(TOKEN, "post", 200, answer, edition) == [], edition
        # Every property of the DTO but those no answer here has, and the location's.
        missing = dto_properties(edition, TOKEN_DTO[edition]) - answer.keys()
        assert missing == NEVER_SENT | {"locationId"}, edition


def test_a_location_token_answer_and_its_refresh_are_both_editions_dto(client):
    company_id = make_company(client)
    location_id = make_location(client, company_id)
    app = make_app(client)
    _install, code = install(client, app, locationId=location_id)
    first = exchange(client, app, code)
    # The SDK's refresh: camelCase JSON, `Version: v3`.
    refreshed = client.post(
        TOKEN,
        json={
            "clientId": app.client_id,
            "clientSecret": app.client_secret,
            "grantType": "refresh_token",
            "refreshToken": first["refreshToken"],
            "userType": "Location",
        },
        headers={"Version": "v3"},
    )
    assert refreshed.status_code == 200, refreshed.text

    for answer in (first, refreshed.json()):
        for edition in EDITIONS:
            assert schema_errors(TOKEN, "post", 200, answer, edition) == [], edition
            missing = dto_properties(edition, TOKEN_DTO[edition]) - answer.keys()
            company_only = {"approvedLocations", "installToFutureLocations", "approveAllLocations"}
            assert missing == NEVER_SENT | company_only, edition


def test_the_token_answer_of_a_location_without_a_company_is_both_editions_dto(client):
    location_id = make_location(client)
    app = make_app(client)
    _install, code = install(client, app, locationId=location_id)
    answer = exchange(client, app, code)

    for edition in EDITIONS:
        assert schema_errors(TOKEN, "post", 200, answer, edition) == [], edition


def test_the_token_endpoint_s_refusals_are_both_editions_error_dtos(client, agency):
    app, _company_id, _answer, _locations = agency
    refusals = {
        400: token(client, app, grant_type="refresh_token", refresh_token="not-a-token"),
        401: token(client, app, grant_type="refresh_token", client_secret="wrong"),
    }

    for status, refused in refusals.items():
        assert refused.status_code == status, refused.text
        for edition in EDITIONS:
            assert schema_errors(TOKEN, "post", status, refused.json(), edition) == []


# --- the agency endpoints -------------------------------------------------------------------


@pytest.mark.parametrize("edition", EDITIONS)
def test_a_location_token_answer_is_the_edition_s_dto(client, agency, edition):
    app, company_id, answer, locations = agency
    path = LOCATION_TOKEN[edition]

    made = client.post(
        path,
        data={"companyId": company_id, "locationId": locations[0]},
        headers={**agency_headers(answer, edition), **FORM},
    )

    assert made.status_code == 200, made.text
    body = made.json()
    assert schema_errors(path, "post", 200, body, edition) == []
    assert body["appId"] == app.id and body["locationId"] == locations[0]
    missing = dto_properties(edition, LOCATION_TOKEN_DTO[edition]) - body.keys()
    assert missing == NEVER_SENT


def test_installed_locations_is_the_2021_edition_s_dto(client, agency):
    app, company_id, answer, locations = agency
    path = INSTALLED[OAUTH_2021]

    listed = client.get(
        path,
        params={"companyId": company_id, "appId": app.id},
        headers=agency_headers(answer, OAUTH_2021),
    )

    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert schema_errors(path, "get", 200, body, OAUTH_2021) == []
    assert [each["_id"] for each in body["locations"]] == locations
    assert body["count"] == 3


def installed_v3_pages(client, agency) -> list[dict]:
    """The three pages of one location each of the v3 list, followed by their tokens."""
    app, company_id, answer, _locations = agency
    params = {"companyId": company_id, "appId": app.id, "pageSize": 1}
    pages = []
    while True:
        page = client.get(
            INSTALLED[OAUTH_V3], params=params, headers=agency_headers(answer, OAUTH_V3)
        )
        assert page.status_code == 200, page.text
        pages.append(page.json())
        following = page.json()["pagination"].get("nextPageToken")
        if following is None:
            return pages
        params = {**params, "pageToken": following}


def test_installed_locations_is_the_v3_dto_on_a_page_with_a_page_on_either_side(client, agency):
    _app, _company_id, _answer, locations = agency

    pages = installed_v3_pages(client, agency)

    assert [page["items"][0]["_id"] for page in pages] == locations
    middle = pages[1]
    assert middle["pagination"]["hasPrevPage"] and middle["pagination"]["hasNextPage"]
    assert schema_errors(INSTALLED[OAUTH_V3], "get", 200, middle, OAUTH_V3) == []


def test_installed_locations_is_the_v3_dto_on_its_first_and_last_pages(client, agency):
    pages = installed_v3_pages(client, agency)

    for page in (pages[0], pages[-1]):
        assert schema_errors(INSTALLED[OAUTH_V3], "get", 200, page, OAUTH_V3) == []


def test_the_v3_list_s_refusals_are_the_aip_error(client, agency):
    app, company_id, answer, _locations = agency
    path = INSTALLED[OAUTH_V3]
    asked = {"companyId": company_id, "appId": app.id}
    refusals = [
        ({**asked, "appId": "someone-else"}, 404, "NOT_FOUND"),
        ({**asked, "pageToken": "garbage"}, 400, "INVALID_ARGUMENT"),
        ({**asked, "companyId": make_company(client)}, 400, "INVALID_ARGUMENT"),
        ({**asked, "isInstalled": "maybe"}, 400, "INVALID_ARGUMENT"),
    ]

    for params, status, code in refusals:
        refused = client.get(path, params=params, headers=agency_headers(answer, OAUTH_V3))
        assert refused.status_code == status, (params, refused.text)
        assert schema_errors(path, "get", status, refused.json(), OAUTH_V3) == [], params
        assert refused.json()["error"]["code"] == code


def test_the_v3_list_s_early_refusals_are_the_aip_error_too(client, agency):
    app, company_id, answer, _locations = agency
    path = INSTALLED[OAUTH_V3]
    headers = agency_headers(answer, OAUTH_V3)
    refusals = [
        client.get(path, params={"appId": app.id}, headers=headers),
        client.get(
            path, params={"companyId": company_id, "appId": app.id, "pageSize": 0}, headers=headers
        ),
        client.get(
            path,
            params={"companyId": company_id, "appId": app.id},
            headers={"Authorization": headers["Authorization"]},
        ),
    ]

    for refused in refusals:
        assert refused.status_code == 400, refused.text
        assert schema_errors(path, "get", 400, refused.json(), OAUTH_V3) == []


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_agency_endpoints_401_is_the_edition_s_dto(client, agency, edition):
    app, company_id, answer, locations = agency
    location = client.post(
        LOCATION_TOKEN[edition],
        data={"companyId": company_id, "locationId": locations[0]},
        headers={**agency_headers(answer, edition), **FORM},
    ).json()
    as_location = {**bearer(location["access_token"]), "Version": VERSIONS[edition]}
    refusals = {
        ("post", LOCATION_TOKEN[edition]): client.post(
            LOCATION_TOKEN[edition],
            data={"companyId": company_id, "locationId": locations[0]},
            headers={**as_location, **FORM},
        ),
        ("get", INSTALLED[edition]): client.get(
            INSTALLED[edition], params={"companyId": company_id, "appId": app.id}
        ),
    }

    for (method, path), refused in refusals.items():
        assert refused.status_code == 401, refused.text
        assert schema_errors(path, method, 401, refused.json(), edition) == [], path
