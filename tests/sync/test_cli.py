"""`opencalendars feed ...` and `opencalendars connection ...` (sync/cli.py), on the suite's
database, mounted the way cli.py mounts them."""

import json
from urllib.parse import urlsplit

import pytest
import typer
from typer.testing import CliRunner

from api.slot_helpers import free, make_calendar, times
from opencalendars.sync.cli import connection_app, feed_app
from sync.helpers import vcalendar, vevent

pytestmark = pytest.mark.usefixtures("now")

root = typer.Typer()
root.add_typer(feed_app, name="feed")
root.add_typer(connection_app, name="connection")


@pytest.fixture
def run(database_url):
    runner = CliRunner()

    def invoke(*args, env=None):
        return runner.invoke(root, [*args, "--database-url", database_url], env=env)

    return invoke


def test_feed_create_list_revoke(ny, run):
    created = run(
        "feed", "create", "--location-id", ny.location_id, "--user-id", "ann",
        "--base-url", "https://calendar.example.com/",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    url = created.output.strip()
    assert url.startswith("https://calendar.example.com/feeds/") and url.endswith(".ics")
    assert ny.client.get(urlsplit(url).path).status_code == 200

    listed = run("feed", "list", "--location-id", ny.location_id)
    assert listed.exit_code == 0, listed.output
    (line,) = listed.stdout.splitlines()
    feed_id, kind, target, _created = line.split("\t")
    assert (kind, target) == ("user", "ann")
    as_json = json.loads(run("feed", "list", "--location-id", ny.location_id, "--json").stdout)
    assert [feed["id"] for feed in as_json["feeds"]] == [feed_id]

    assert run("feed", "revoke", feed_id).output.strip() == "revoked"
    assert ny.client.get(urlsplit(url).path).status_code == 404
    again = run("feed", "revoke", feed_id)
    assert again.exit_code == 2
    assert "Feed not found" in again.output


def test_connection_create_sync_list_delete(ny, run, ics_server):
    calendar_id = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    url, served = ics_server.serve(
        f"/{ny.location_id}/cli.ics",
        vcalendar(vevent("x", "20270308T090000", "20270308T100000")),
    )

    created = run(
        "connection", "create", "--location-id", ny.location_id, "--user-id", "ann",
        "--kind", "ics", "--url", url, "--sync",
    )  # fmt: skip

    assert created.exit_code == 0, created.output
    connection = json.loads(created.stdout)["connection"]
    assert connection["busyCount"] == 1 and connection["lastError"] is None
    assert times(free(ny, calendar_id, "2027-03-08")) == ["10:00", "10:30", "11:00", "11:30"]
    listed = run("connection", "list", "--location-id", ny.location_id, "--user-id", "ann")
    (line,) = listed.stdout.splitlines()
    assert line.split("\t")[:3] == [connection["id"], "ann", "ics"]
    assert line.split("\t")[5:] == ["1", "-"]

    served.status = 503
    failed = run("connection", "sync", connection["id"])
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["connection"]["lastError"] == (
        "the calendar URL answered HTTP 503"
    )
    due = run("connection", "sync", "--due")
    assert due.exit_code == 0 and due.output.startswith("synced ")

    assert run("connection", "delete", connection["id"]).output.strip() == "deleted"
    assert times(free(ny, calendar_id, "2027-03-08")) != []
    assert run("connection", "delete", connection["id"]).exit_code == 2


def test_a_password_needs_the_secret_key(ny, run, monkeypatch):
    monkeypatch.delenv("OPENCALENDARS_SECRET_KEY", raising=False)
    monkeypatch.setenv("DAV_PASSWORD", "hunter2")

    refused = run(
        "connection", "create", "--location-id", ny.location_id, "--user-id", "ann",
        "--kind", "caldav", "--url", "https://dav.example.com/", "--username", "ann",
        "--password-env", "DAV_PASSWORD",
    )  # fmt: skip

    assert refused.exit_code == 2
    assert "OPENCALENDARS_SECRET_KEY is not set" in refused.output
    assert "hunter2" not in refused.output


def test_connection_create_with_a_write_back_calendar(ny, run, radicale, secret_key):
    remote = radicale.new_calendar(f"cli-wb-{ny.location_id}")
    url = str(remote.url)

    created = run(
        "connection", "create", "--location-id", ny.location_id, "--user-id", "ann",
        "--kind", "caldav", "--url", url, "--username", "ann", "--password-env", "ANN_PASSWORD",
        "--write-back-calendar-url", url,
        env={"ANN_PASSWORD": "ann-secret"},
    )  # fmt: skip

    assert created.exit_code == 0, created.output
    connection = json.loads(created.stdout)["connection"]
    assert connection["writeBackCalendarUrl"] == url
    assert connection["lastWriteBackAt"] is None and connection["lastWriteBackError"] is None
