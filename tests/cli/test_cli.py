"""The `opencalendars` command: db upgrade, location create, token create, demo, serve."""

import re
import shlex
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from opencalendars.app import create_app
from opencalendars.cli import app as cli
from opencalendars.demo import DEMO_LOCATION_ID
from opencalendars.settings import Settings
from support.api import Tenant
from support.databases import fresh_database
from support.server import free_port, wait_healthy

runner = CliRunner()


@pytest.fixture
def cli_database(tmp_path):
    with fresh_database(tmp_path) as url:
        yield url


def invoke(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_db_upgrade_is_repeatable(cli_database):
    first = invoke("db", "upgrade", "--database-url", cli_database)
    second = invoke("db", "upgrade", "--database-url", cli_database)

    # On a new database every revision, by file name, oldest first (tests/cli/
    # test_process_errors.py checks the list); then nothing.
    assert first.startswith("applied 0001_foundation, 0002_calendars_and_schedules, ")
    newest = first.strip().rsplit(", ", 1)[-1]
    assert second == f"database is up to date (revision {newest})\n"


def test_location_and_token_create_give_a_working_token(cli_database):
    location_id = invoke(
        "location",
        "create",
        "--name",
        "Shop",
        "--timezone",
        "Europe/London",
        "--database-url",
        cli_database,
    ).strip()
    token = invoke(
        "token",
        "create",
        "--location-id",
        location_id,
        "--scope",
        "calendars/groups.readonly",
        "--database-url",
        cli_database,
    ).strip()

    assert re.fullmatch(r"[A-Za-z0-9]{20}", location_id)
    assert token.startswith("pit-")
    app = create_app(Settings(database_url=cli_database))
    with TestClient(app) as client:
        tenant = Tenant(client, location_id, token, token_id="")
        listed = tenant.get("/calendars/groups", params={"locationId": location_id})
        refused = tenant.post("/calendars/groups/validate-slug", json={})
    app.state.db.dispose()
    assert listed.json() == {"groups": []}
    assert refused.status_code == 401  # the token lacks the scope (docs/errors.md)


def test_cli_refuses_unknown_zones_scopes_and_locations(cli_database):
    bad_zone = runner.invoke(
        cli,
        [
            "location",
            "create",
            "--name",
            "X",
            "--timezone",
            "Moon/Base",
            "--database-url",
            cli_database,
        ],
    )
    bad_scope = runner.invoke(
        cli,
        ["token", "create", "--location-id", "x", "--scope", "all", "--database-url", cli_database],
    )
    bad_location = runner.invoke(
        cli, ["token", "create", "--location-id", "missing", "--database-url", cli_database]
    )

    assert bad_zone.exit_code == bad_scope.exit_code == bad_location.exit_code == 2
    assert "unknown time zone 'Moon/Base'" in bad_zone.output
    assert "unknown scope 'all'" in bad_scope.output
    assert "Location not found" in bad_location.output


def test_demo_creates_its_data_once_and_gives_the_same_token_each_time(cli_database):
    first = invoke("demo", "--database-url", cli_database)
    second = invoke("demo", "--database-url", cli_database)

    tokens = [re.search(r"Token:\s+(pit-\S+)", output).group(1) for output in (first, second)]
    assert tokens[0] == tokens[1]
    app = create_app(Settings(database_url=cli_database))
    with TestClient(app) as client:
        for token in tokens:
            tenant = Tenant(client, DEMO_LOCATION_ID, token, token_id="")
            groups = tenant.get("/calendars/groups", params={"locationId": DEMO_LOCATION_ID}).json()
            assert [group["slug"] for group in groups["groups"]] == [
                "consultations",
                "workshops",
                "seasonal",
            ]
        calendars = tenant.get("/calendars/", params={"locationId": DEMO_LOCATION_ID}).json()
        types = sorted(calendar["calendarType"] for calendar in calendars["calendars"])
        assert types == sorted(
            ["event", "personal", "round_robin", "collective", "class_booking", "service_booking"]
        )
        for user_id in ("anna-rivera", "ben-okafor", "chloe-martin", "dev-patel"):
            found = tenant.get(
                "/calendars/schedules/search",
                params={"locationId": DEMO_LOCATION_ID, "userId": user_id},
            ).json()["schedules"]
            assert len(found) == 1 and found[0]["calendarIds"]
        event = next(c for c in calendars["calendars"] if c["calendarType"] == "event")
        assert tenant.get(f"/calendars/schedules/event-calendar/{event['id']}").status_code == 200
        now = int(time.time() * 1000)
        statuses = []
        contact_ids = set()
        titles = []
        for calendar in calendars["calendars"]:
            events = tenant.get(
                "/calendars/events",
                params={
                    "locationId": DEMO_LOCATION_ID,
                    "calendarId": calendar["id"],
                    "startTime": now,
                    "endTime": now + 15 * 86_400_000,
                },
            ).json()["events"]
            statuses += [e["appointmentStatus"] for e in events]
            contact_ids |= {e["contactId"] for e in events}
            titles += [e["title"] for e in events]
        places = tenant.get(
            "/calendars/services/locations", params={"locationId": DEMO_LOCATION_ID}
        ).json()["serviceLocations"]
        assert [(p["slug"], p["isDefault"]) for p in places] == [
            ("main-studio", True),
            ("home-visits", False),
        ]
        rooms = tenant.get("/calendars/resources/rooms", params={"locationId": DEMO_LOCATION_ID})
        kits = tenant.get(
            "/calendars/resources/equipments", params={"locationId": DEMO_LOCATION_ID}
        )
        assert [len(rooms.json()), len(kits.json())] == [1, 1]
        personal = next(c for c in calendars["calendars"] if c["calendarType"] == "personal")
        kinds = tenant.get(f"/calendars/{personal['id']}/notifications").json()
        assert sorted(n["notificationType"] for n in kinds) == sorted(
            ["booked", "confirmation", "cancellation", "reschedule", "reminder", "followup"]
        )
        # Eight bookings, and the weekly series' occurrences in the next 15 days (2 or 3).
        assert statuses.count("cancelled") == 1
        assert statuses.count("confirmed") in (9, 10)
        menu = tenant.get(
            "/calendars/services/catalog", params={"locationId": DEMO_LOCATION_ID}
        ).json()["services"]
        assert sorted(s["slug"] for s in menu) == ["beard-trim", "colour", "haircut"]
        service_bookings = tenant.get(
            "/calendars/services/bookings",
            params={
                "locationId": DEMO_LOCATION_ID,
                "startTime": now,
                "endTime": now + 15 * 86_400_000,
            },
        ).json()["bookings"]
        assert [len(b["services"]) for b in service_bookings] == [2, 1]
        assert service_bookings[1]["meetingLocation"]
        # Every booking is for a real contact with a name, an email and a phone; the one booked
        # without a title is titled with its contact's name.
        contact_ids |= {b["contactId"] for b in service_bookings}
        assert len(contact_ids) == 11
        people = [
            tenant.get(f"/contacts/{contact_id}").json()["contact"] for contact_id in contact_ids
        ]
        assert all(p["firstName"] and p["lastName"] and p["email"] and p["phone"] for p in people)
        assert "Ava Thompson" in titles
    app.state.db.dispose()


def test_serve_with_demo_prints_a_curl_line_that_answers_200(cli_database, tmp_path):
    """The README's first command: serve the demo and call it the way it says; open the booking
    page it prints."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "opencalendars",
                "serve",
                "--demo",
                "--port",
                str(port),
                "--database-url",
                cli_database,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log_path, timeout=60)
        curl_line = next(line for line in log_path.read_text().splitlines() if "curl " in line)
        words = shlex.split(curl_line)
        headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
        response = httpx.get(words[-1], headers=headers)
        widget_line = next(
            line for line in log_path.read_text().splitlines() if "/widget/booking/" in line
        )
        page = httpx.get(widget_line.split()[-1])
    finally:
        process.terminate()
        process.wait(timeout=15)

    assert response.status_code == 200
    assert len(response.json()["groups"]) == 3
    # ...and the booking page of a demo calendar beside it.
    assert page.status_code == 200, page.text
    assert "Dr. Rivera" in page.text


def test_webhook_commands_create_list_and_delete(cli_database):
    location_id = invoke("location", "create", "--name", "Hooks", "--database-url", cli_database)
    location_id = location_id.strip()

    webhook_id = invoke(
        "webhook",
        "create",
        "--location-id",
        location_id,
        "--url",
        "https://example.com/hook",
        "--event",
        "AppointmentCreate",
        "--database-url",
        cli_database,
    ).strip()
    listed = invoke("webhook", "list", "--database-url", cli_database)
    deleted = invoke("webhook", "delete", webhook_id, "--database-url", cli_database)
    after = invoke("webhook", "list", "--database-url", cli_database)

    assert (
        listed.strip()
        == f"{webhook_id}  {location_id}  https://example.com/hook  AppointmentCreate"
    )
    assert deleted.strip() == "deleted"
    assert after.strip() == ""
