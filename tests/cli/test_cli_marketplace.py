"""The marketplace commands, on the database directly: company create/list, app create/list,
install create/list/delete, location create --company-id; what they make works over HTTP."""

import json

from fastapi.testclient import TestClient

from cli.test_cli_admin import invoke, refused, url  # noqa: F401  (url is a fixture)
from opencalendars.app import create_app
from opencalendars.settings import Settings

REDIRECT = "https://app.example/callback"


def test_an_agency_app_installed_from_the_command_line_makes_working_tokens(url):  # noqa: F811
    company = invoke(url, "company", "create", "--name", "Acme\tAgency").strip()
    location = invoke(url, "location", "create", "--name", "Shop", "--company-id", company).strip()
    created = json.loads(
        invoke(
            url,
            "app", "create", "--name", "Sync", "--distribution", "agency",
            "--redirect-uri", REDIRECT, "--scope", "oauth.write", "--scope", "calendars.readonly",
        )
    )["app"]  # fmt: skip
    assert created["clientId"].startswith(created["id"] + "-") and created["clientSecret"]

    on_company = json.loads(
        invoke(url, "install", "create", "--app-id", created["id"], "--company-id", company,
               "--redirect-uri", REDIRECT)
    )  # fmt: skip
    on_location = json.loads(
        invoke(url, "install", "create", "--app-id", created["id"], "--location-id", location,
               "--redirect-uri", REDIRECT)
    )  # fmt: skip
    assert on_company["install"]["userType"] == "Company"
    assert on_location["install"]["companyId"] == company

    assert invoke(url, "company", "list").splitlines() == [f"{company}\tAcme\\tAgency"]
    assert invoke(url, "app", "list").splitlines() == [
        f"{created['id']}\t{created['clientId']}\tagency\tSync"
    ]
    listed = json.loads(invoke(url, "app", "list", "--json"))["apps"]
    assert "clientSecret" not in listed[0]
    assert [line.split("\t") for line in invoke(url, "install", "list").splitlines()] == [
        [on_company["install"]["id"], created["id"], "", company, "installed"],
        [on_location["install"]["id"], created["id"], location, company, "installed"],
    ]

    app = create_app(Settings(database_url=url, rate_limits=None))
    with TestClient(app) as client:
        answer = client.post(
            "/oauth/token",
            data={
                "client_id": created["clientId"],
                "client_secret": created["clientSecret"],
                "grant_type": "authorization_code",
                "code": on_company["code"],
            },
        )
        assert answer.status_code == 200, answer.text
        company_token = {
            "Authorization": f"Bearer {answer.json()['access_token']}",
            "Version": "2021-07-28",
        }
        location_token = client.post(
            "/oauth/locationToken",
            data={"companyId": company, "locationId": location},
            headers=company_token,
        )
        assert location_token.status_code == 200, location_token.text

        assert invoke(url, "install", "delete", on_company["install"]["id"]) == "uninstalled\n"
        gone = client.post(
            "/oauth/locationToken",
            data={"companyId": company, "locationId": location},
            headers=company_token,
        )
        assert gone.status_code == 401 and gone.json()["message"] == "Invalid JWT"
    app.state.db.dispose()
    assert [line.split("\t")[-1] for line in invoke(url, "install", "list").splitlines()] == [
        "uninstalled",
        "uninstalled",
    ]


def test_refusals_name_the_problem(url):  # noqa: F811
    no_company = refused(url, "location", "create", "--name", "x", "--company-id", "nope")
    assert "--company-id: Company not found" in no_company
    assert "redirectUris must be an absolute http(s) URL" in refused(
        url, "app", "create", "--name", "x", "--redirect-uri", "nope", "--scope", "oauth.write"
    )
    assert "scopes must only contain" in refused(
        url, "app", "create", "--name", "x", "--redirect-uri", REDIRECT, "--scope", "mail.send"
    )
    assert "App not found" in refused(
        url,
        "install",
        "create",
        "--app-id",
        "nope",
        "--location-id",
        "x",
        "--redirect-uri",
        REDIRECT,
    )
    assert "Install not found" in refused(url, "install", "delete", "nope")
