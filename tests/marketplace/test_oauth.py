"""Marketplace apps over HTTP (issue 15, docs/marketplace.md): companies, apps, installs, the
token endpoint's grants and refusals, the agency endpoints, app tokens on the Calendars API,
uninstalling, and the INSTALL / UNINSTALL webhooks in the outbox."""

import base64
import json
from dataclasses import dataclass

import pytest

from support.api import ADMIN_HEADERS

REDIRECT = "https://app.example/oauth/callback"
CALENDAR_SCOPES = ["calendars.readonly", "calendars.write", "calendars/events.readonly"]
AGENCY_SCOPES = ["oauth.readonly", "oauth.write", "calendars.readonly"]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class App:
    id: str
    client_id: str
    client_secret: str


def admin(client, method: str, path: str, **kwargs):
    return client.request(method, path, headers=ADMIN_HEADERS, **kwargs)


def make_company(client, name: str = "Agency") -> str:
    created = admin(client, "POST", "/admin/companies", json={"name": name})
    assert created.status_code == 201, created.text
    return created.json()["company"]["id"]


def make_location(client, company_id: str | None = None, name: str = "Clinic") -> str:
    body = {"name": name, "timezone": "America/New_York", "requireContacts": False}
    if company_id is not None:
        body["companyId"] = company_id
    created = admin(client, "POST", "/admin/locations", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["location"]["companyId"] == company_id
    return created.json()["location"]["id"]


def make_app(client, scopes=CALENDAR_SCOPES, distribution="location", webhook=None) -> App:
    body = {
        "name": "Scheduler",
        "redirectUris": [REDIRECT],
        "scopes": scopes,
        "distribution": distribution,
    }
    if webhook is not None:
        body["webhookUrl"] = webhook
    created = admin(client, "POST", "/admin/apps", json=body)
    assert created.status_code == 201, created.text
    app = created.json()["app"]
    assert app["clientId"].startswith(app["id"] + "-")
    return App(app["id"], app["clientId"], app["clientSecret"])


def install(client, app: App, **target) -> tuple[dict, str]:
    body = {"appId": app.id, "redirectUri": REDIRECT, **target}
    created = admin(client, "POST", "/admin/installs", json=body)
    assert created.status_code == 201, created.text
    return created.json()["install"], created.json()["code"]


def token(client, app: App, **fields):
    form = {"client_id": app.client_id, "client_secret": app.client_secret, **fields}
    return client.post("/oauth/token", data=form, headers=FORM)


def exchange(client, app: App, code: str, user_type: str = "Location") -> dict:
    answer = token(
        client,
        app,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        user_type=user_type,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def bearer(access_token: str) -> dict:
    return {"Authorization": f"Bearer {access_token}", "Version": "2021-04-15"}


def claims(access_token: str) -> dict:
    part = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.fixture
def location_app(client):
    location_id = make_location(client)
    app = make_app(client)
    found, code = install(client, app, locationId=location_id)
    return app, location_id, found, code


def test_code_exchange_answers_both_spellings_and_the_token_reads_calendars(client, location_app):
    app, location_id, found, code = location_app
    answer = exchange(client, app, code)
    assert answer["token_type"] == "Bearer" and answer["tokenType"] == "Bearer"
    assert answer["expires_in"] == 86399 and answer["expiresIn"] == 86399
    assert answer["accessToken"] == answer["access_token"]
    assert answer["refreshToken"] == answer["refresh_token"]
    assert answer["userType"] == "Location" and answer["locationId"] == location_id
    assert answer["userId"] == found["userId"]
    assert answer["scope"].split() == CALENDAR_SCOPES
    decoded = claims(answer["access_token"])
    assert decoded["authClass"] == "Location" and decoded["authClassId"] == location_id
    assert decoded["oauthMeta"]["scopes"] == CALENDAR_SCOPES
    assert decoded["oauthMeta"]["client"] == app.id
    assert decoded["oauthMeta"]["clientKey"] == app.client_id
    assert decoded["exp"] - decoded["iat"] == 86399

    groups = client.get(
        "/calendars/",
        params={"locationId": location_id},
        headers=bearer(answer["access_token"]),
    )
    assert groups.status_code == 200, groups.text
    other = client.get(
        "/calendars/",
        params={"locationId": make_location(client)},
        headers=bearer(answer["access_token"]),
    )
    assert other.status_code == 403
    assert other.json()["message"] == "The token does not have access to this location"


def test_a_scope_not_granted_is_401_as_the_live_service_says(client, location_app):
    app, location_id, _found, code = location_app
    access = exchange(client, app, code)["access_token"]
    refused = client.post(
        "/calendars/groups",
        json={"locationId": location_id, "name": "G", "description": "d", "slug": "g-one"},
        headers=bearer(access),
    )
    assert refused.status_code == 401
    assert refused.json()["message"] == "The token is not authorized for this scope."


def test_a_code_works_once(client, location_app):
    app, _location_id, _found, code = location_app
    exchange(client, app, code)
    again = token(client, app, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.json()["error_description"]


def test_refusals_of_the_token_endpoint(client, location_app):
    app, _location_id, _found, code = location_app
    code_grant = {"grant_type": "authorization_code", "code": code}
    cases = [
        ({**code_grant, "client_secret": "wrong"}, 401, "invalid_client"),
        ({**code_grant, "redirect_uri": REDIRECT + "/x"}, 400, "invalid_grant"),
        ({**code_grant, "code": "not-a-code"}, 400, "invalid_grant"),
        ({"grant_type": "authorization_code"}, 400, "invalid_request"),
        ({**code_grant, "grant_type": "password"}, 400, "unsupported_grant_type"),
        ({**code_grant, "user_type": "Company"}, 400, "invalid_grant"),
        ({**code_grant, "user_type": "Agency"}, 400, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, 400, "invalid_grant"),
    ]
    for fields, status, error in cases:
        refused = token(client, app, **fields)
        assert refused.status_code == status, (fields, refused.text)
        assert refused.json()["error"] == error, (fields, refused.text)
    missing = client.post("/oauth/token", data={"grant_type": "authorization_code"}, headers=FORM)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    # None of these spent the code: a wrong redirect URI or user type refuses before it counts.
    # (A refusal inside the grant rolls its transaction back.)
    assert exchange(client, app, code)["access_token"]


def test_another_apps_code_is_not_yours(client, location_app):
    _app, _location_id, _found, code = location_app
    other = make_app(client)
    refused = token(client, other, grant_type="authorization_code", code=code)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_refresh_rotates_and_the_old_refresh_token_stops(client, location_app):
    app, location_id, _found, code = location_app
    first = exchange(client, app, code)
    # The SDK's own refresh: camelCase fields, form-encoded.
    refreshed = client.post(
        "/oauth/token",
        data={
            "refreshToken": first["refresh_token"],
            "clientId": app.client_id,
            "clientSecret": app.client_secret,
            "grantType": "refresh_token",
            "userType": "Location",
        },
        headers={**FORM, "Version": "v3"},
    )
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["locationId"] == location_id
    reused = token(client, app, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    ok = client.get(
        "/calendars/",
        params={"locationId": location_id},
        headers=bearer(second["access_token"]),
    )
    assert ok.status_code == 200


def test_json_body_in_camel_case_is_read_too(client, location_app):
    app, _location_id, _found, code = location_app
    answer = client.post(
        "/oauth/token",
        json={
            "clientId": app.client_id,
            "clientSecret": app.client_secret,
            "grantType": "authorization_code",
            "code": code,
        },
        headers={"Version": "v3"},
    )
    assert answer.status_code == 200, answer.text


def test_the_clock_expires_codes_and_access_tokens_and_refresh_still_works(client):
    frozen = admin(client, "PUT", "/admin/clock", json={"now": "2031-01-01T00:00:00Z"})
    assert frozen.status_code == 200
    try:
        location_id = make_location(client)
        app = make_app(client)
        _found, stale = install(client, app, locationId=location_id)
        admin(client, "PUT", "/admin/clock", json={"now": "2031-01-01T00:10:00Z"})
        expired_code = token(client, app, grant_type="authorization_code", code=stale)
        assert expired_code.status_code == 400 and expired_code.json()["error"] == "invalid_grant"
        _found, code = install(client, app, locationId=location_id)
        admin(client, "PUT", "/admin/clock", json={"now": "2031-01-01T00:19:59Z"})
        first = exchange(client, app, code)
        params = {"locationId": location_id}
        headers = bearer(first["access_token"])
        assert client.get("/calendars/", params=params, headers=headers).status_code == 200
        admin(client, "PUT", "/admin/clock", json={"now": "2031-01-02T00:19:57Z"})
        assert client.get("/calendars/", params=params, headers=headers).status_code == 200
        admin(client, "PUT", "/admin/clock", json={"now": "2031-01-02T00:19:58Z"})
        expired = client.get("/calendars/", params=params, headers=headers)
        assert expired.status_code == 401 and expired.json()["message"] == "Invalid JWT"
        second = token(
            client, app, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
        assert second.status_code == 200
        renewed = bearer(second.json()["access_token"])
        assert client.get("/calendars/", params=params, headers=renewed).status_code == 200
        # A refresh token lives a year unless used.
        admin(client, "PUT", "/admin/clock", json={"now": "2032-01-03T00:00:00Z"})
        old = token(
            client, app, grant_type="refresh_token", refresh_token=second.json()["refresh_token"]
        )
        assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
    finally:
        admin(client, "DELETE", "/admin/clock")


def test_a_forged_or_tampered_token_is_invalid_jwt(client, location_app):
    app, location_id, _found, code = location_app
    access = exchange(client, app, code)["access_token"]
    header, payload, signature = access.split(".")
    changed = claims(access)
    changed["oauthMeta"]["scopes"].append("calendars/groups.write")
    forged_payload = base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    for bad in (
        f"{header}.{forged_payload}.{signature}",
        f"{none_header}.{payload}.",
        f"{header}.{payload}.{signature[:-2]}xx",
        "a.b.c",
    ):
        refused = client.get("/calendars/", params={"locationId": location_id}, headers=bearer(bad))
        assert refused.status_code == 401, bad
        assert refused.json()["message"] == "Invalid JWT"


def test_uninstall_stops_tokens_at_once_and_queues_the_webhooks(client):
    location_id = make_location(client)
    app = make_app(client, webhook="https://app.example/hooks")
    found, code = install(client, app, locationId=location_id)
    answer = exchange(client, app, code)
    params = {"locationId": location_id}
    assert (
        client.get("/calendars/", params=params, headers=bearer(answer["access_token"]))
    ).status_code == 200

    removed = admin(client, "DELETE", f"/admin/installs/{found['id']}")
    assert removed.status_code == 200 and removed.json()["install"]["installed"] is False
    gone = client.get("/calendars/", params=params, headers=bearer(answer["access_token"]))
    assert gone.status_code == 401 and gone.json()["message"] == "Invalid JWT"
    refresh = token(client, app, grant_type="refresh_token", refresh_token=answer["refresh_token"])
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"

    outbox = admin(client, "GET", "/admin/outbox", params={"locationId": location_id})
    assert outbox.status_code == 200, outbox.text
    bodies = [
        json.loads(message["payload"]["body"])
        for message in outbox.json()["messages"]
        if message["payload"].get("url") == "https://app.example/hooks"
    ]
    by_type = {body["type"]: body for body in bodies}
    assert set(by_type) == {"INSTALL", "UNINSTALL"}
    assert by_type["INSTALL"]["appId"] == app.id
    assert by_type["INSTALL"]["locationId"] == location_id
    assert by_type["INSTALL"]["installType"] == "Location"
    assert by_type["INSTALL"]["userId"] == found["userId"]
    assert by_type["UNINSTALL"] == {
        **by_type["UNINSTALL"],
        "type": "UNINSTALL",
        "appId": app.id,
        "locationId": location_id,
    }


def test_installing_again_is_the_same_install_and_no_second_webhook(client):
    location_id = make_location(client)
    app = make_app(client, webhook="https://app.example/again")
    first, _ = install(client, app, locationId=location_id)
    second, code = install(client, app, locationId=location_id)
    assert second["id"] == first["id"]
    assert exchange(client, app, code)["locationId"] == location_id
    outbox = admin(client, "GET", "/admin/outbox", params={"locationId": location_id})
    installs = [m for m in outbox.json()["messages"] if m["topic"] == "INSTALL"]
    assert len(installs) == 1


def test_admin_refusals(client):
    location_id = make_location(client)
    location_app = make_app(client)
    agency_app = make_app(client, scopes=AGENCY_SCOPES, distribution="agency")
    company_id = make_company(client)
    new_app = {"name": "x", "redirectUris": [REDIRECT], "scopes": CALENDAR_SCOPES}
    on_location = {"appId": location_app.id, "redirectUri": REDIRECT, "locationId": location_id}
    cases = [
        ("/admin/apps", {**new_app, "redirectUris": ["not a url"]}),
        ("/admin/apps", {**new_app, "scopes": ["mail.send"]}),
        ("/admin/apps", {**new_app, "redirectUris": [REDIRECT + "#f"]}),
        ("/admin/apps", {**new_app, "redirectUris": []}),
        ("/admin/apps", {**new_app, "distribution": "world"}),
        ("/admin/installs", {"appId": location_app.id, "redirectUri": REDIRECT}),
        ("/admin/installs", {**on_location, "redirectUri": "https://evil.example/"}),
        ("/admin/installs", {**on_location, "locationId": None, "companyId": company_id}),
        ("/admin/installs", {**on_location, "scopes": ["oauth.write"]}),
        # An agency app goes on a location only of a company it is installed on.
        ("/admin/installs", {**on_location, "appId": agency_app.id}),
    ]
    for path, body in cases:
        refused = admin(client, "POST", path, json=body)
        assert refused.status_code == 400, (body, refused.text)
    missing = [
        ("/admin/installs", {**on_location, "appId": "nope"}),
        ("/admin/installs", {**on_location, "locationId": "nope"}),
        (
            "/admin/installs",
            {**on_location, "appId": agency_app.id, "locationId": None} | {"companyId": "nope"},
        ),
        ("/admin/locations", {"name": "x", "companyId": "nope"}),
    ]
    for path, body in missing:
        refused = admin(client, "POST", path, json=body)
        assert refused.status_code == 404, (body, refused.text)
    assert admin(client, "DELETE", "/admin/installs/nope").status_code == 404
    installs = admin(client, "GET", "/admin/installs", params={"appId": location_app.id})
    assert installs.json()["installs"] == []


@pytest.fixture
def agency(client):
    company_id = make_company(client)
    app = make_app(
        client, scopes=AGENCY_SCOPES, distribution="agency", webhook="https://a.example/h"
    )
    company_install, code = install(client, app, companyId=company_id)
    answer = exchange(client, app, code, user_type="Company")
    first = make_location(client, company_id, name="Alpha clinic")
    second = make_location(client, company_id, name="Beta clinic")
    installed, _ = install(client, app, locationId=first)
    return app, company_id, answer, first, second, company_install, installed


def test_a_company_token_makes_location_tokens_of_installed_locations(client, agency):
    app, company_id, answer, first, second, _company_install, _installed = agency
    assert answer["userType"] == "Company" and answer["companyId"] == company_id
    assert "locationId" not in answer
    company = bearer(answer["access_token"])
    # A company token is no location's.
    refused = client.get("/calendars/", params={"locationId": first}, headers=company)
    assert refused.status_code == 401
    assert refused.json()["message"].startswith("This authClass type is not allowed")
    for path in ("/oauth/locationToken", "/oauth/location-token"):
        made = client.post(
            path, data={"companyId": company_id, "locationId": first}, headers={**company, **FORM}
        )
        assert made.status_code == 200, made.text
        location = made.json()
        assert location["locationId"] == first and location["appId"] == app.id
        assert location["accessToken"] == location["access_token"]
        assert claims(location["access_token"])["authClass"] == "Location"
        ok = client.get(
            "/calendars/",
            params={"locationId": first},
            headers=bearer(location["access_token"]),
        )
        assert ok.status_code == 200, ok.text
    not_installed = client.post(
        "/oauth/locationToken",
        data={"companyId": company_id, "locationId": second},
        headers={**company, **FORM},
    )
    assert not_installed.status_code == 400
    other_company = client.post(
        "/oauth/locationToken",
        data={"companyId": make_company(client), "locationId": first},
        headers={**company, **FORM},
    )
    assert other_company.status_code == 400
    stranger = make_location(client, make_company(client))
    foreign = client.post(
        "/oauth/locationToken",
        data={"companyId": company_id, "locationId": stranger},
        headers={**company, **FORM},
    )
    assert foreign.status_code == 400
    # A location's token is not a company's.
    location_token = client.post(
        "/oauth/locationToken",
        data={"companyId": company_id, "locationId": first},
        headers={**company, **FORM},
    ).json()["access_token"]
    as_location = client.post(
        "/oauth/locationToken",
        data={"companyId": company_id, "locationId": first},
        headers={**bearer(location_token), **FORM},
    )
    assert as_location.status_code == 401


def test_installed_locations_in_both_editions(client, agency):
    app, company_id, answer, first, second, _company_install, _installed = agency
    company = bearer(answer["access_token"])
    listed = client.get(
        "/oauth/installedLocations",
        params={"companyId": company_id, "appId": app.id},
        headers=company,
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["count"] == 2
    assert [(each["_id"], each["isInstalled"]) for each in listed.json()["locations"]] == [
        (first, True),
        (second, False),
    ]
    only = client.get(
        "/oauth/installedLocations",
        params={"companyId": company_id, "appId": app.id, "isInstalled": "true"},
        headers=company,
    )
    assert [each["_id"] for each in only.json()["locations"]] == [first]
    named = client.get(
        "/oauth/installedLocations",
        params={"companyId": company_id, "appId": app.id, "query": "beta"},
        headers=company,
    )
    assert [each["_id"] for each in named.json()["locations"]] == [second]

    page = client.get(
        "/oauth/installed-locations",
        params={"companyId": company_id, "appId": app.id, "pageSize": 1},
        headers=company,
    )
    assert page.status_code == 200, page.text
    assert [each["_id"] for each in page.json()["items"]] == [first]
    assert page.json()["pagination"]["hasNextPage"] is True
    following = client.get(
        "/oauth/installed-locations",
        params={
            "companyId": company_id,
            "appId": app.id,
            "pageSize": 1,
            "pageToken": page.json()["pagination"]["nextPageToken"],
        },
        headers=company,
    )
    assert [each["_id"] for each in following.json()["items"]] == [second]
    assert following.json()["pagination"]["hasNextPage"] is False
    wrong_app = client.get(
        "/oauth/installed-locations",
        params={"companyId": company_id, "appId": "someone-else"},
        headers=company,
    )
    assert wrong_app.status_code == 404 and wrong_app.json()["error"]["code"] == "NOT_FOUND"
    bad_page = client.get(
        "/oauth/installed-locations",
        params={"companyId": company_id, "appId": app.id, "pageToken": "garbage"},
        headers=company,
    )
    assert bad_page.status_code == 400
    assert bad_page.json()["error"]["code"] == "INVALID_ARGUMENT"


def test_a_company_uninstall_takes_the_app_off_its_locations(client, agency):
    app, company_id, answer, first, _second, company_install, installed = agency
    company = bearer(answer["access_token"])
    location = client.post(
        "/oauth/locationToken",
        data={"companyId": company_id, "locationId": first},
        headers={**company, **FORM},
    ).json()
    removed = admin(client, "DELETE", f"/admin/installs/{company_install['id']}")
    assert removed.status_code == 200
    for access in (answer["access_token"], location["access_token"]):
        gone = client.get("/calendars/", params={"locationId": first}, headers=bearer(access))
        assert gone.status_code == 401 and gone.json()["message"] == "Invalid JWT"
    listed = admin(client, "GET", "/admin/installs", params={"appId": app.id}).json()
    assert {each["id"]: each["installed"] for each in listed["installs"]} == {
        company_install["id"]: False,
        installed["id"]: False,
    }


def test_a_company_s_own_app_webhooks_are_listed_without_a_location(client, agency):
    app, company_id, _answer, _first, _second, _company_install, _installed = agency
    listed = admin(client, "GET", "/admin/outbox", params={"limit": 500})
    assert listed.status_code == 200, listed.text
    bodies = [
        json.loads(message["payload"]["body"])
        for message in listed.json()["messages"]
        if message["topic"] == "INSTALL"
    ]
    (company_install,) = [
        body for body in bodies if body["appId"] == app.id and "locationId" not in body
    ]
    assert company_install["companyId"] == company_id
    assert company_install["installType"] == "Company"


def test_malformed_token_requests_are_invalid_request(client, location_app):
    app, _location_id, _found, _code = location_app
    credentials = f"client_id={app.client_id}&client_secret={app.client_secret}"
    form, json_type = "application/x-www-form-urlencoded", "application/json"
    for body, content_type in (
        (credentials + "&grant_type=authorization_code" + "&x=1" * 100, form),
        (b"client_id=\xff\xfe", form),
        ("[1, 2]", json_type),
        ("{not json", json_type),
        (credentials + "&grant_type=refresh_token&refresh_token=" + "r" * 5000, form),
        (credentials + "&grant_type=a&grant_type=b", form),
    ):
        refused = client.post("/oauth/token", content=body, headers={"Content-Type": content_type})
        assert refused.status_code == 400, (body, refused.text)
        assert refused.json()["error"] == "invalid_request", refused.text


def test_consent_again_with_fewer_scopes_narrows_tokens_made_before(client):
    location_id = make_location(client)
    app = make_app(client)
    _found, code = install(client, app, locationId=location_id)
    access = exchange(client, app, code)["access_token"]
    params = {"locationId": location_id}
    assert client.get("/calendars/", params=params, headers=bearer(access)).status_code == 200
    install(client, app, locationId=location_id, scopes=["calendars/events.readonly"])
    narrowed = client.get("/calendars/", params=params, headers=bearer(access))
    assert narrowed.status_code == 401
    assert narrowed.json()["message"] == "The token is not authorized for this scope."
