"""Log lines (docs/operations.md, "Logs"): one access line per request with its method, path
template, status, duration and traceId, as text or as JSON fields; and no secret in any line a
whole run writes, server and worker alike."""

import io
import json
import logging
import re
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from api.slot_helpers import ZONE, make_calendar
from opencalendars import logs
from opencalendars.cli import app as cli
from support.api import ADMIN_HEADERS, ADMIN_KEY, create_tenant
from support.databases import fresh_database
from support.receivers import http_receiver
from support.server import free_port, live_server, live_worker
from support.trace_ids import trace_id_of

ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


@contextmanager
def access_lines(log_format: str):
    """What the access logger writes meanwhile, formatted as `serve` formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter() if log_format == "json" else logs.TextFormatter())
    logger = logging.getLogger("opencalendars.access")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    lines: list[str] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        lines += stream.getvalue().splitlines()


def test_json_lines_carry_method_path_template_status_duration_and_trace_id(ny):
    calendar_id = make_calendar(ny)

    with access_lines("json") as lines:
        found = ny.get(f"/calendars/{calendar_id}", params={"apiKey": "query-secret"})
        missing = ny.client.get("/no/such/path?token=query-secret")

    first, second = (json.loads(line) for line in lines)
    assert first == {
        "time": first["time"],
        "level": "info",
        "logger": "opencalendars.access",
        "message": first["message"],
        "method": "GET",
        "path": "/calendars/{calendarId}",
        "status": 200,
        "durationMs": first["durationMs"],
        "traceId": trace_id_of(found),
        "client": "testclient:50000",
    }
    assert re.fullmatch(ISO_UTC, first["time"])
    assert isinstance(first["durationMs"], float) and first["durationMs"] > 0
    # No route matched: the path as sent, without its query string.
    assert (second["path"], second["status"], second["traceId"]) == (
        "/no/such/path",
        404,
        trace_id_of(missing),
    )
    assert "query-secret" not in "".join(lines)
    assert calendar_id not in "".join(lines)


def test_text_lines_are_one_human_line_per_request(ny):
    calendar_id = make_calendar(ny)

    with access_lines("text") as lines:
        answer = ny.get(f"/calendars/{calendar_id}/free-slots", params={"startDate": "x"})

    (line,) = lines
    assert re.fullmatch(
        rf'{ISO_UTC} INFO opencalendars\.access: testclient:50000 - "GET '
        r'/calendars/\{calendarId\}/free-slots" 400 \d+\.\d ms traceId=' + trace_id_of(answer),
        line,
    ), line


def test_an_unmatched_path_is_logged_printable_and_cut_short(client):
    with access_lines("text") as lines:
        client.get("/nope/%0Aforged line/" + "a" * 500)

    (line,) = lines
    assert '"GET /nope/%0Aforged%20line/' in line
    assert len(line) < 400


def test_redact_masks_url_passwords_and_query_strings():
    text = (
        "postgresql+psycopg://app:s3cret@db:5432/calendars and smtp://mailer:p%40ss@mail:587,"
        " see https://hooks.example.com/in?token=abc&x=1 or sqlite:///./opencalendars.db"
    )

    assert logs.redact(text) == (
        "postgresql+psycopg://app:***@db:5432/calendars and smtp://mailer:***@mail:587,"
        " see https://hooks.example.com/in?*** or sqlite:///./opencalendars.db"
    )


def test_database_errors_do_not_quote_the_statement_values(app):
    """An error's message goes into the log with its traceback: SQLAlchemy would quote the
    statement's values there (a token's hash, a signing key, a contact's data)."""
    with pytest.raises(DBAPIError) as raised, app.state.db.read() as session:
        session.execute(text("SELECT no_such_column WHERE 1 = :value"), {"value": "value-6e1f"})

    assert "no_such_column" in str(raised.value)
    assert "value-6e1f" not in str(raised.value)


def test_unknown_levels_and_formats_are_refused(tmp_path):
    with pytest.raises(ValueError, match="trace"):
        logs.config("trace", "text")
    with pytest.raises(ValueError, match="xml"):
        logs.config("info", "xml")
    # uvicorn's `trace` level would write every request's headers: refused before anything starts.
    database = f"sqlite:///{tmp_path / 'never.db'}"
    for command in ("serve", "worker"):
        refused = CliRunner().invoke(
            cli, [command, "--log-level", "trace", "--database-url", database]
        )
        assert refused.exit_code == 2, refused.output
        assert "--log-level" in refused.output
    assert not (tmp_path / "never.db").exists()


@pytest.mark.slow
def test_no_secret_in_any_line_of_a_run(tmp_path):
    """A server (JSON lines, INFO) and a worker: requests with the token and the admin key, a
    secret in a query string, a webhook whose URL holds a secret to a receiver that fails, an
    email over an SMTP URL with a password that does not answer, an SMS endpoint with a key.
    Every line of both logs is JSON, and none holds any of the secrets."""
    smtp_password = "smtp-pass-5d1e"
    hook_secret = "hook-secret-77ab"
    sms_key = "sms-key-90fe"
    query_secret = "query-secret-31c0"
    env = {
        "OPENCALENDARS_LOG_FORMAT": "json",
        "OPENCALENDARS_SMTP_URL": f"smtp://mailer:{smtp_password}@127.0.0.1:{free_port()}",
        "OPENCALENDARS_MAX_ATTEMPTS": "2",
    }
    with (
        fresh_database(tmp_path) as url,
        http_receiver(script=[500] * 10) as receiver,
        live_server(url, tmp_path, extra_args=("--log-level", "info"), env=env) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as admin,
    ):
        env["OPENCALENDARS_SMS_WEBHOOK_URL"] = f"{receiver.url}?apikey={sms_key}"
        frozen = admin.put(
            "/admin/clock", json={"now": "2030-01-01T00:00:00Z"}, headers=ADMIN_HEADERS
        )
        assert frozen.status_code == 200, frozen.text
        tenant = create_tenant(admin, timezone=ZONE)
        tenant.client = admin
        calendar_id = make_calendar(tenant)
        notified = tenant.post(
            f"/calendars/{calendar_id}/notifications",
            json=[
                {
                    "receiverType": "emails",
                    "channel": "email",
                    "notificationType": "booked",
                    "additionalEmailIds": ["desk@example.com"],
                },
                {
                    "receiverType": "phoneNumbers",
                    "channel": "sms",
                    "notificationType": "booked",
                    "additionalPhoneNumbers": ["+15550100"],
                },
            ],
        )
        assert notified.status_code in (200, 201), notified.text
        subscribed = admin.post(
            "/admin/webhooks",
            json={"locationId": tenant.location_id, "url": f"{receiver.url}?key={hook_secret}"},
            headers=ADMIN_HEADERS,
        )
        assert subscribed.status_code == 201, subscribed.text
        booked = tenant.post(
            "/calendars/events/appointments",
            json={
                "calendarId": calendar_id,
                "locationId": tenant.location_id,
                "contactId": "contact-1",
                "startTime": "2030-01-07T09:00:00-05:00",
            },
        )
        assert booked.status_code == 200, booked.text
        tenant.get(
            "/calendars/groups", params={"locationId": tenant.location_id, "key": query_secret}
        )
        admin.get(f"/no/such/path?token={query_secret}", headers=tenant.headers())
        admin.get("/calendars/", headers={"Authorization": "Bearer not-a-token-3f2a"})
        with live_worker(url, tmp_path, **env):
            settled(admin, tenant.location_id)

    written = {path.name: path.read_text() for path in Path(tmp_path).glob("*.log")}
    assert len(written) == 2, written.keys()
    for name, log in written.items():
        lines = [json.loads(line) for line in log.splitlines()]  # every line is JSON
        assert lines, name
        for secret in (
            tenant.token,
            ADMIN_KEY,
            "not-a-token-3f2a",
            smtp_password,
            hook_secret,
            sms_key,
            query_secret,
        ):
            assert secret not in log, (name, secret)
    server_lines = [json.loads(line) for line in written[server.log_path.name].splitlines()]
    paths = {line["path"] for line in server_lines if line["logger"] == "opencalendars.access"}
    assert {"/calendars/events/appointments", "/calendars/groups", "/no/such/path"} <= paths
    (worker_log,) = (text for name, text in written.items() if name.startswith("worker-"))
    events = [json.loads(line).get("event") for line in worker_log.splitlines()]
    # The webhook, the email and the text: each tried twice, then given up.
    assert events.count("delivery_failed") == 3
    assert events.count("delivery_gave_up") == 3


def settled(admin: httpx.Client, location_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = admin.get(
            "/admin/outbox", params={"locationId": location_id}, headers=ADMIN_HEADERS
        ).json()["messages"]
        if messages and all(message["status"] != "pending" for message in messages):
            return
        time.sleep(0.1)
    raise AssertionError(f"still pending: {messages}")
