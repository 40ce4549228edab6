"""The admin commands, on the database directly: location list, token list/revoke, outbox
list/retry, --version, the scope error, and the demo token kept across `serve --demo` runs."""

import json
import re
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import opencalendars
from opencalendars import cli as cli_module
from opencalendars.app import create_app
from opencalendars.cli import app as cli
from opencalendars.db.database import Database
from opencalendars.demo import DEMO_LOCATION_ID
from opencalendars.errors import Conflict
from opencalendars.events import outbox
from opencalendars.events.worker import Worker, WorkerSettings
from opencalendars.http.auth import ALL_SCOPES, hash_token
from opencalendars.settings import Settings
from support.api import Tenant
from support.databases import fresh_database
from support.receivers import http_receiver

runner = CliRunner()


@pytest.fixture
def url(tmp_path):
    with fresh_database(tmp_path) as database_url:
        yield database_url


def invoke(url: str, *args: str) -> str:
    result = runner.invoke(cli, [*args, "--database-url", url])
    assert result.exit_code == 0, result.output
    return result.output


def refused(url: str, *args: str, exit_code: int = 2) -> str:
    """The output of a refused command, as one line (rich draws errors in a wrapped box)."""
    result = runner.invoke(cli, [*args, "--database-url", url])
    assert result.exit_code == exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())


def command(*args: str) -> subprocess.CompletedProcess:
    """The real entry point, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "opencalendars", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


# A new location's contact settings (docs/contacts.md "Bookings and contacts").
CONTACTS_REQUIRED = {
    "requireContacts": True,
    "country": None,
    "allowDuplicateContacts": False,
    "companyId": None,
}


def lines(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines()]


def test_version_prints_the_package_version():
    done = command("--version")

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"opencalendars {opencalendars.__version__}\n"


def test_locations_and_tokens_are_listed_without_secrets_and_a_revoked_token_is_refused(url):
    shop = invoke(url, "location", "create", "--name", "Shop", "--timezone", "Europe/London")
    office = invoke(
        url, "location", "create", "--name", "Back\toffice\nroom", "--no-require-contacts"
    ).strip()
    shop = shop.strip()
    full_secret = invoke(url, "token", "create", "--location-id", shop, "--name", "app").strip()
    reader_secret = invoke(
        url,
        "token",
        "create",
        "--location-id",
        shop,
        "--scope",
        "calendars/groups.readonly",
        "--scope",
        "calendars.readonly",
        "--name",
        "read only",
    ).strip()
    office_secret = invoke(url, "token", "create", "--location-id", office).strip()

    located = invoke(url, "location", "list")
    as_json = json.loads(invoke(url, "location", "list", "--json"))
    tokens = invoke(url, "token", "list")
    shop_tokens = invoke(url, "token", "list", "--location-id", shop)
    tokens_json = invoke(url, "token", "list", "--json")

    # One line per location, oldest first; a tab or newline in a name cannot break the line.
    assert lines(located) == [
        [shop, "Europe/London", "Shop"],
        [office, "UTC", "Back\\toffice\\nroom"],
    ]
    assert as_json == {
        "locations": [
            {"id": shop, "name": "Shop", "timezone": "Europe/London", **CONTACTS_REQUIRED},
            {
                "id": office,
                "name": "Back\toffice\nroom",
                "timezone": "UTC",
                **CONTACTS_REQUIRED,
                "requireContacts": False,
            },
        ]
    }
    rows = lines(tokens)
    assert [(row[1], row[2], row[4], row[5]) for row in rows] == [
        (shop, "active", ",".join(ALL_SCOPES), "app"),
        (shop, "active", "calendars/groups.readonly,calendars.readonly", "read only"),
        (office, "active", ",".join(ALL_SCOPES), ""),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row[3]) for row in rows)
    assert [row[0] for row in lines(shop_tokens)] == [rows[0][0], rows[1][0]]
    assert [token["id"] for token in json.loads(tokens_json)["tokens"]] == [r[0] for r in rows]
    for secret in (full_secret, reader_secret, office_secret):
        for output in (tokens, shop_tokens, tokens_json):
            assert secret not in output
            assert secret.removeprefix("pit-") not in output
            assert hash_token(secret) not in output

    # Revoked through the real entry point, as an operator would.
    done = command("token", "revoke", rows[0][0], "--database-url", url)
    assert (done.returncode, done.stdout) == (0, "revoked\n"), done.stderr
    after = lines(invoke(url, "token", "list"))
    assert [row[2] for row in after] == ["revoked", "active", "active"]
    assert json.loads(invoke(url, "token", "list", "--json"))["tokens"][0]["revoked"] is True

    app = create_app(Settings(database_url=url, rate_limits=None))
    with TestClient(app) as client:
        answers = {
            secret: Tenant(client, shop, secret, token_id="")
            .get("/calendars/groups", params={"locationId": shop})
            .status_code
            for secret in (full_secret, reader_secret)
        }
    app.state.db.dispose()
    assert answers == {full_secret: 401, reader_secret: 200}


def test_unknown_token_ids_and_scopes_are_refused_with_what_is_valid(url):
    location_id = invoke(url, "location", "create", "--name", "Shop").strip()

    unknown_token = refused(url, "token", "revoke", "no-such-token")
    bad_scope = refused(
        url,
        "token",
        "create",
        "--location-id",
        location_id,
        "--scope",
        "calendars.write",
        "--scope",
        "nope",
    )

    assert "Invalid value for TOKEN_ID: Token not found (no-such-token)" in unknown_token
    assert (
        "Invalid value for --scope: unknown scope 'nope'; valid scopes: " + ", ".join(ALL_SCOPES)
        in bad_scope
    )
    assert invoke(url, "token", "list") == ""  # nothing was created


def book_with_webhooks(url: str, receiver_urls: list[str]) -> str:
    """A location whose webhooks go to `receiver_urls`, and one booking there."""
    location_id = invoke(
        url, "location", "create", "--name", "Hooks", "--no-require-contacts"
    ).strip()
    secret = invoke(url, "token", "create", "--location-id", location_id).strip()
    for receiver_url in receiver_urls:
        invoke(url, "webhook", "create", "--location-id", location_id, "--url", receiver_url)
    app = create_app(Settings(database_url=url, rate_limits=None))
    with TestClient(app) as client:
        tenant = Tenant(client, location_id, secret, token_id="")
        calendar = tenant.post(
            "/calendars/",
            json={
                "locationId": location_id,
                "name": "Visits",
                "calendarType": "personal",
                "teamMembers": [{"userId": "ann"}],
            },
        )
        assert calendar.status_code == 200, calendar.text
        booked = tenant.post(
            "/calendars/events/appointments",
            json={
                "calendarId": calendar.json()["calendar"]["id"],
                "locationId": location_id,
                "contactId": "contact-1",
                "startTime": "2031-01-06T10:00:00Z",
                "ignoreFreeSlotValidation": True,
            },
        )
        assert booked.status_code == 200, booked.text
    app.state.db.dispose()
    return location_id


def test_outbox_list_and_retry_of_a_failed_message_and_one_waiting_to_retry(url, monkeypatch):
    # A long back-off: the message answered 500 waits, the one answered 410 is failed for good.
    monkeypatch.setenv("OPENCALENDARS_RETRY_BASE_SECONDS", "600")
    with http_receiver(script=[410]) as refusing, http_receiver(script=[500]) as failing:
        location_id = book_with_webhooks(url, [refusing.url, failing.url])
        invoke(url, "worker", "--once")
        refusing.wait_for(1)
        failing.wait_for(1)

        everything = lines(invoke(url, "outbox", "list"))
        failed = lines(invoke(url, "outbox", "list", "--status", "failed"))
        waiting = lines(invoke(url, "outbox", "list", "--status", "pending"))
        webhooks = invoke(url, "outbox", "list", "--kind", "webhook", "--location-id", location_id)
        notifications = invoke(url, "outbox", "list", "--kind", "notification")
        elsewhere = invoke(url, "outbox", "list", "--location-id", "another-location")
        one = invoke(url, "outbox", "list", "--limit", "1")
        as_json = json.loads(invoke(url, "outbox", "list", "--status", "failed", "--json"))

        assert len(everything) == 2 and len(lines(webhooks)) == 2
        assert notifications == elsewhere == ""
        assert len(lines(one)) == 1
        ((failed_id, *failed_row),) = failed
        ((waiting_id, *waiting_row),) = waiting
        assert failed_row[:5] == [location_id, "webhook", "AppointmentCreate", "failed", "1"]
        assert failed_row[6] == "HTTP 410"
        assert waiting_row[:5] == [location_id, "webhook", "AppointmentCreate", "pending", "1"]
        assert waiting_row[6] == "HTTP 500"
        (message,) = as_json["messages"]
        assert (message["id"], message["locationId"], message["status"]) == (
            failed_id,
            location_id,
            "failed",
        )
        assert [(a["number"], a["outcome"], a["statusCode"]) for a in message["attempts"]] == [
            (1, "failed", 410)
        ]

        # Nothing is due: another worker pass sends nothing.
        invoke(url, "worker", "--once")
        assert len(refusing.received) == len(failing.received) == 1

        retried = command("outbox", "retry", failed_id, "--database-url", url)
        assert (retried.returncode, retried.stdout) == (0, "due now\n"), retried.stderr
        assert invoke(url, "outbox", "retry", waiting_id) == "due now\n"
        again = refused(url, "outbox", "retry", failed_id, exit_code=1)
        assert f"Error: Message {failed_id} is pending and not waiting for a retry" in again

        invoke(url, "worker", "--once")
        refusing.wait_for(2)
        failing.wait_for(2)

    delivered = lines(invoke(url, "outbox", "list", "--status", "delivered"))
    assert sorted((row[0], row[5], row[7]) for row in delivered) == sorted(
        [(failed_id, "2", "-"), (waiting_id, "2", "-")]
    )
    done_already = refused(url, "outbox", "retry", failed_id, exit_code=1)
    unknown = refused(url, "outbox", "retry", "no-such-message")
    bad_status = refused(url, "outbox", "list", "--status", "lost")
    assert f"Error: Message {failed_id} is delivered: only a failed message" in done_already
    assert "Invalid value for MESSAGE_ID: Message no-such-message not found" in unknown
    assert "'lost' is not one of 'pending', 'delivered', 'failed', 'cancelled'" in bad_status


def test_retry_leaves_a_message_a_worker_holds_to_that_worker(url):
    with http_receiver(script=[500]) as receiver:
        book_with_webhooks(url, [receiver.url])
        db = Database(url)
        worker = Worker(db, WorkerSettings(retry_base_s=600))
        try:
            (claimed,) = worker.claim()  # claimed, not yet sent: its lease runs
            with pytest.raises(Conflict, match="is being delivered right now"):
                outbox.retry_message(db, claimed.id)
            worker.deliver(claimed)  # answered 500: it waits out its back-off
            outbox.retry_message(db, claimed.id)
            assert [c.attempt for c in worker.claim()] == [2]
        finally:
            worker.close()
            db.dispose()


def test_serve_demo_twice_keeps_one_demo_location_and_its_token(url, monkeypatch):
    served = []
    monkeypatch.setattr(cli_module.uvicorn, "run", lambda *args, **kwargs: served.append(kwargs))
    # `serve` hands the URL to its server processes through the environment: restored after.
    monkeypatch.setenv("OPENCALENDARS_DATABASE_URL", url)

    outputs = [invoke(url, "serve", "--demo", "--port", "8123") for _ in range(2)]

    assert len(served) == 2
    secrets = [re.search(r"Token:\s+(pit-\S+)", output).group(1) for output in outputs]
    assert secrets[0] == secrets[1]
    assert all(f"Bearer {secrets[0]}" in output and "8123" in output for output in outputs)
    assert [row[0] for row in lines(invoke(url, "location", "list"))] == [DEMO_LOCATION_ID]
    demo_tokens = lines(invoke(url, "token", "list", "--location-id", DEMO_LOCATION_ID))
    assert [(row[2], row[5]) for row in demo_tokens] == [("active", "demo")]

    # Revoked, it is replaced by another one (printed from then on), never brought back.
    invoke(url, "token", "revoke", demo_tokens[0][0])
    replaced = [invoke(url, "demo") for _ in range(2)]
    new_secrets = [re.search(r"Token:\s+(pit-\S+)", output).group(1) for output in replaced]
    assert new_secrets[0] == new_secrets[1] != secrets[0]
    states = [row[2] for row in lines(invoke(url, "token", "list"))]
    assert states == ["revoked", "active"]
    app = create_app(Settings(database_url=url, rate_limits=None))
    with TestClient(app) as client:
        answers = [
            Tenant(client, DEMO_LOCATION_ID, secret, token_id="")
            .get("/calendars/groups", params={"locationId": DEMO_LOCATION_ID})
            .status_code
            for secret in (secrets[0], new_secrets[0])
        ]
    app.state.db.dispose()
    assert answers == [401, 200]
