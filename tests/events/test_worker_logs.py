"""What `opencalendars worker` logs (docs/operations.md, "Logs"): its start, each failed delivery
(message id, attempt, reason, next try) at WARNING and each give-up at ERROR, on stderr, as text
or as JSON lines. The real command, `--once`, against a real receiver on 127.0.0.1 that answers
500, on a database of this module's own (no other test's messages in its outbox)."""

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from api.slot_helpers import ZONE, make_calendar
from events.booking import book
from opencalendars.app import create_app
from opencalendars.events.models import OutboxMessage
from opencalendars.http.times import iso_utc_ms
from opencalendars.settings import Settings
from support.api import ADMIN_HEADERS, ADMIN_KEY, create_tenant
from support.databases import fresh_database
from support.receivers import http_receiver
from support.server import FAST_WORKER_ENV

ISO_UTC = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
MAX_ATTEMPTS = 2


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The API in this process (the worker under test is the real command), clock frozen."""
    with fresh_database(tmp_path_factory.mktemp("worker-logs")) as url:
        application = create_app(Settings(database_url=url, admin_key=ADMIN_KEY, rate_limits=None))
        with TestClient(application) as client:
            frozen = client.put(
                "/admin/clock", json={"now": "2030-01-01T00:00:00Z"}, headers=ADMIN_HEADERS
            )
            assert frozen.status_code == 200, frozen.text
            client.database_url = url
            yield client
        application.state.db.dispose()


def failing_webhook(served, receiver_url: str) -> str:
    """A booking whose webhook goes to `receiver_url`: the outbox message's id."""
    tenant = create_tenant(served, timezone=ZONE)
    subscribed = served.post(
        "/admin/webhooks",
        json={"locationId": tenant.location_id, "url": receiver_url},
        headers=ADMIN_HEADERS,
    )
    assert subscribed.status_code == 201, subscribed.text
    book(tenant, make_calendar(tenant, hours=(("10:00", "11:00"),)))
    listed = served.get(
        "/admin/outbox", params={"locationId": tenant.location_id}, headers=ADMIN_HEADERS
    )
    (message,) = listed.json()["messages"]
    return message["id"]


def worker_once(served, **env: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable,
        "-m",
        "opencalendars",
        "worker",
        "--once",
        "--database-url",
        served.database_url,
    ]
    settings = {
        **FAST_WORKER_ENV,
        "OPENCALENDARS_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "OPENCALENDARS_RETRY_BASE_SECONDS": "0.2",
        **env,
    }
    done = subprocess.run(
        command, env={**os.environ, **settings}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # log lines go to stderr only
    return done


def retry_at(served, message_id: str) -> str:
    with served.app.state.db.read() as session:
        return iso_utc_ms(session.get(OutboxMessage, message_id).retry_at_ms)


def wait_until(instant: str) -> None:
    due = datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp()
    time.sleep(max(0.0, due - time.time()) + 0.05)


def test_failures_and_the_give_up_are_logged_as_text_on_stderr(served):
    with http_receiver(script=[500] * MAX_ATTEMPTS) as receiver:
        message_id = failing_webhook(served, receiver.url)

        first = worker_once(served)
        next_try = retry_at(served, message_id)
        wait_until(next_try)
        second = worker_once(served)
        receiver.wait_for(MAX_ATTEMPTS)

    started = worker_line(first.stderr, r"delivery worker \S+ started .*")
    failed = worker_line(
        first.stderr,
        rf"delivery of message {message_id} \(webhook\) failed at attempt 1 of 2: HTTP 500;"
        rf" next try at (?P<next>{ISO_UTC})",
    )
    gave_up = worker_line(
        second.stderr,
        rf"delivery of message {message_id} \(webhook\) gave up after 2 attempts: HTTP 500",
    )

    assert started["level"] == "INFO"
    assert failed["level"] == "WARNING"
    assert failed["next"] == next_try
    assert gave_up["level"] == "ERROR"


def worker_line(stderr: str, message: str) -> re.Match:
    """The one text line of the worker's logger whose message matches `message`."""
    found = list(
        re.finditer(
            rf"^{ISO_UTC} (?P<level>[A-Z]+) opencalendars\.worker: {message}$", stderr, re.M
        )
    )
    assert len(found) == 1, stderr
    return found[0]


def json_lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines()]  # every line is JSON


def test_failures_and_the_give_up_are_fields_of_json_lines(served):
    with http_receiver(script=[503] * MAX_ATTEMPTS) as receiver:
        message_id = failing_webhook(served, receiver.url)

        first = json_lines(worker_once(served, OPENCALENDARS_LOG_FORMAT="json").stderr)
        next_try = retry_at(served, message_id)
        wait_until(next_try)
        second = json_lines(worker_once(served, OPENCALENDARS_LOG_FORMAT="json").stderr)

    assert [line["event"] for line in first if line.get("event") == "worker_started"]
    (failed,) = [line for line in first if line.get("messageId") == message_id]
    assert failed | {"time": "", "message": "", "worker": ""} == {
        "time": "",
        "level": "warning",
        "logger": "opencalendars.worker",
        "message": "",
        "event": "delivery_failed",
        "messageId": message_id,
        "kind": "webhook",
        "attempt": 1,
        "maxAttempts": MAX_ATTEMPTS,
        "reason": "HTTP 503",
        "statusCode": 503,
        "nextRetryAt": next_try,
        "worker": "",
    }
    assert re.fullmatch(ISO_UTC, failed["time"])
    (gave_up,) = [line for line in second if line.get("messageId") == message_id]
    assert gave_up["level"] == "error"
    assert gave_up["event"] == "delivery_gave_up"
    assert (gave_up["attempt"], gave_up["attempts"], gave_up["reason"]) == (2, 2, "HTTP 503")
    assert "nextRetryAt" not in gave_up
