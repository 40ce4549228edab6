"""`GET /metrics` (docs/operations.md, "Metrics"): off by default, the Prometheus text format when
on, behind the admin key in `admin` mode; and the values move with what the server does.

The app here has a database of its own, so the outbox gauges count only this module's messages.
Counters are the process's own (prometheus-client's registry): tests compare before and after."""

import os
import subprocess
import sys

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from api.slot_helpers import ZONE, make_calendar
from api.test_service_bookings import make_place, make_service, staff_hours
from opencalendars.app import create_app
from opencalendars.events.models import OutboxMessage
from opencalendars.events.worker import Worker, WorkerSettings
from opencalendars.settings import InvalidSetting, Settings
from support.api import ADMIN_HEADERS, ADMIN_KEY, create_tenant
from support.databases import fresh_database
from support.receivers import http_receiver
from support.server import FAST_WORKER_ENV, live_server

NINE = "2026-03-02T09:00:00-05:00"  # a Monday
REQUESTS = "opencalendars_http_request_duration_seconds"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("metrics")) as url:
        yield url


def metrics_app(database_url: str, mode: str = "on", admin_key: str | None = ADMIN_KEY):
    return create_app(
        Settings(database_url=database_url, admin_key=admin_key, rate_limits=None, metrics=mode)
    )


@pytest.fixture(scope="module")
def metered(database):
    application = metrics_app(database)
    with TestClient(application) as client:
        yield client
    application.state.db.dispose()


@pytest.fixture(autouse=True)
def before_march(metered):
    response = metered.put(
        "/admin/clock", json={"now": "2026-02-27T12:00:00Z"}, headers=ADMIN_HEADERS
    )
    assert response.status_code == 200, response.text
    yield
    metered.delete("/admin/clock", headers=ADMIN_HEADERS)


@pytest.fixture
def ny(metered):
    return create_tenant(metered, timezone=ZONE)


def scrape(client, url: str = "/metrics") -> dict[tuple[str, frozenset], float]:
    """Every sample of one scrape by (name, labels)."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def book(tenant, calendar_id, start=NINE, **fields):
    body = {
        "calendarId": calendar_id,
        "locationId": tenant.location_id,
        "contactId": "contact-1",
        "startTime": start,
        **fields,
    }
    return tenant.post("/calendars/events/appointments", json=body)


def test_metrics_are_off_by_default_and_the_path_is_unknown(client):
    response = client.get("/metrics")

    assert response.status_code == 404
    assert response.json()["message"] == "Cannot GET /metrics"


def test_on_they_are_the_prometheus_text_format_without_authentication(metered):
    response = metered.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {
        family.name: family.type for family in text_string_to_metric_families(response.text)
    }
    assert {
        REQUESTS: "histogram",
        "opencalendars_bookings_accepted": "counter",
        "opencalendars_bookings_refused": "counter",
        "opencalendars_free_slots_duration_seconds": "histogram",
        "opencalendars_delivery_attempts": "counter",
        "opencalendars_outbox_depth": "gauge",
        "opencalendars_outbox_scheduled": "gauge",
        "opencalendars_outbox_oldest_age_seconds": "gauge",
        "opencalendars_db_pool_connections_in_use": "gauge",
        "opencalendars_db_pool_connections_limit": "gauge",
    }.items() <= families.items()
    assert "/metrics" not in metered.get("/openapi.json").json()["paths"]


def test_admin_mode_needs_the_admin_key(database):
    application = metrics_app(database, mode="admin")
    with TestClient(application) as client:
        refused = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-key"})
        allowed = client.get("/metrics", headers=ADMIN_HEADERS)
    application.state.db.dispose()

    assert (refused.status_code, wrong.status_code, allowed.status_code) == (401, 401, 200)
    assert "opencalendars_outbox_depth" in allowed.text
    with pytest.raises(InvalidSetting, match="OPENCALENDARS_METRICS='admin' is not valid without"):
        metrics_app(database, mode="admin", admin_key=None)


def test_a_booking_counts_as_accepted_and_a_taken_slot_as_refused(metered, ny):
    calendar_id = make_calendar(ny, hours=(("09:00", "10:00"),))
    before = scrape(metered)

    first = book(ny, calendar_id)
    after_booking = scrape(metered)
    taken = book(ny, calendar_id)
    too_long = ny.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": ny.location_id,
            "contactId": "contact-1",
            "startTime": NINE,
            "endTime": "2026-03-01T09:00:00-05:00",  # before its start
        },
    )
    after = scrape(metered)

    assert (first.status_code, taken.status_code, too_long.status_code) == (200, 400, 400)
    accepted = "opencalendars_bookings_accepted_total"
    refused = "opencalendars_bookings_refused_total"
    assert value(after_booking, accepted, kind="appointment") == (
        value(before, accepted, kind="appointment") + 1
    )
    assert value(after, accepted, kind="appointment") == value(
        after_booking, accepted, kind="appointment"
    )
    for reason in ("slot_taken", "invalid"):
        assert value(after, refused, kind="appointment", reason=reason) == (
            value(before, refused, kind="appointment", reason=reason) + 1
        )


def test_a_refusal_made_on_a_guess_is_counted_once(metered, ny):
    """On PostgreSQL a calendar's next booking first runs on what its last one read
    (db/loop_writes.py); refused there, it runs again on what it reads, and is refused (and
    counted) only then."""
    calendar_id = make_calendar(ny, "round_robin", members=("ann", "bob"))
    assert book(ny, calendar_id).status_code == 200
    before = scrape(metered)

    answers = [book(ny, calendar_id, assignedUserId="stranger").status_code for _ in range(2)]
    after = scrape(metered)

    assert answers == [400, 400]
    refused = "opencalendars_bookings_refused_total"
    assert value(after, refused, kind="appointment", reason="invalid") == (
        value(before, refused, kind="appointment", reason="invalid") + 2
    )


def test_service_bookings_are_counted_too(metered, ny):
    make_place(ny, address="1 Main St")
    staff_hours(ny, "ann")
    staff_hours(ny, "bob")
    haircut = make_service(ny, "haircut", ["ann", "bob"], postBuffer=10)
    body = {
        "locationId": ny.location_id,
        "contactId": "contact-1",
        "startTime": NINE,
        "endTime": "2026-03-02T09:30:00-05:00",
        "timezone": ZONE,
        "services": [{"id": haircut}],
    }
    before = scrape(metered)

    answers = [ny.post("/calendars/services/bookings", json=body).status_code for _ in range(3)]
    after = scrape(metered)

    assert answers == [201, 201, 400]  # Ann, then Bob, then nobody is free
    accepted = "opencalendars_bookings_accepted_total"
    refused = "opencalendars_bookings_refused_total"
    assert value(after, accepted, kind="service") == value(before, accepted, kind="service") + 2
    assert value(after, refused, kind="service", reason="slot_taken") == (
        value(before, refused, kind="service", reason="slot_taken") + 1
    )


def test_requests_are_timed_by_route_template_not_by_raw_path(metered, ny):
    calendar_id = make_calendar(ny)
    template = {"route": "/calendars/{calendarId}", "method": "GET"}
    before = scrape(metered)

    assert ny.get(f"/calendars/{calendar_id}").status_code == 200
    assert ny.get(f"/calendars/{calendar_id}").status_code == 200
    assert ny.get("/calendars/no-such-calendar").status_code == 404
    assert metered.get(f"/no/such/path/{calendar_id}").status_code == 404
    after = scrape(metered)

    count = f"{REQUESTS}_count"
    for status, moved in (("200", 2), ("404", 1)):
        assert value(after, count, status=status, **template) == (
            value(before, count, status=status, **template) + moved
        )
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value(after, count, **unmatched) == value(before, count, **unmatched) + 1
    # The whole duration lands in a bucket: the +Inf bucket holds every request.
    assert value(after, f"{REQUESTS}_bucket", le="+Inf", status="200", **template) == value(
        after, count, status="200", **template
    )
    assert not [key for key in after if any(calendar_id in label for _, label in key[1])]


def test_free_slots_computations_are_timed(metered, ny):
    calendar_id = make_calendar(ny)
    name = "opencalendars_free_slots_duration_seconds"
    before = scrape(metered)

    answer = ny.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": "2026-03-02", "endDate": "2026-03-08"},
    )
    after = scrape(metered)

    assert answer.status_code == 200, answer.text
    assert value(after, f"{name}_count") == value(before, f"{name}_count") + 1
    assert value(after, f"{name}_sum") > value(before, f"{name}_sum")


def pending_due(app) -> tuple[int, int | None]:
    """Counted straight from the table: (pending messages, the earliest due)."""
    with app.state.db.read() as session:
        return tuple(
            session.execute(
                select(func.count(), func.min(OutboxMessage.due_ms)).where(
                    OutboxMessage.status == "pending"
                )
            ).one()
        )


def test_the_outbox_gauges_count_what_is_pending_and_deliveries_by_outcome(metered, ny):
    calendar_id = make_calendar(ny)
    attempts = "opencalendars_delivery_attempts_total"
    with http_receiver() as receiver:
        subscribed = metered.post(
            "/admin/webhooks",
            json={"locationId": ny.location_id, "url": receiver.url},
            headers=ADMIN_HEADERS,
        )
        assert subscribed.status_code == 201, subscribed.text
        empty = scrape(metered)

        assert book(ny, calendar_id).status_code == 200
        one = scrape(metered)
        pending, _ = pending_due(metered.app)
        metered.put("/admin/clock", json={"now": "2026-02-27T12:01:30Z"}, headers=ADMIN_HEADERS)
        later = scrape(metered)

        # Delivered by a worker of this process: the depth is 0 again, the attempt counted.
        worker = Worker(metered.app.state.db, WorkerSettings())
        assert worker.run_once() == 1
        worker.close()
        receiver.wait_for(1)
        done = scrape(metered)

    assert value(empty, "opencalendars_outbox_depth") == 0
    assert value(one, "opencalendars_outbox_depth") == 1 == pending
    assert value(one, "opencalendars_outbox_oldest_age_seconds") == 0
    assert value(later, "opencalendars_outbox_oldest_age_seconds") == 90
    assert value(done, "opencalendars_outbox_depth") == 0
    assert value(done, attempts, kind="webhook", outcome="delivered") == (
        value(one, attempts, kind="webhook", outcome="delivered") + 1
    )


def test_the_pool_gauge_is_the_connections_checked_out_now(metered):
    limit = value(scrape(metered), "opencalendars_db_pool_connections_limit")
    idle = value(scrape(metered), "opencalendars_db_pool_connections_in_use")

    with metered.app.state.db.engine.connect(), metered.app.state.db.engine.connect():
        busy = value(scrape(metered), "opencalendars_db_pool_connections_in_use")

    assert busy == idle + 2
    assert limit >= busy > 0


@pytest.mark.slow
def test_server_processes_and_a_worker_on_one_host_add_up(tmp_path):
    """`serve --workers 2`: every scrape, whichever process answers it, counts every process's
    requests, and a worker given the same PROMETHEUS_MULTIPROC_DIR adds its deliveries."""
    directory = tmp_path / "prometheus"
    directory.mkdir()
    stale = directory / "counter_999999999.db"  # what an ended process of an earlier run left
    stale.write_bytes(b"\0" * 16)
    env = {"OPENCALENDARS_METRICS": "on", "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    with (
        fresh_database(tmp_path) as url,
        live_server(url, tmp_path, workers=2, env=env) as server,
        http_receiver() as receiver,
    ):
        metrics_url = f"{server.base_url}/metrics"
        assert not stale.exists()
        before = scrape(httpx, metrics_url)  # a new connection per request: any process answers

        for _ in range(20):
            assert httpx.get(f"{server.base_url}/healthz").status_code == 200
        scrapes = [scrape(httpx, metrics_url) for _ in range(6)]

        healthz = {"route": "/healthz", "method": "GET", "status": "200"}
        count = f"{REQUESTS}_count"
        assert {value(each, count, **healthz) for each in scrapes} == {
            value(before, count, **healthz) + 20
        }
        pids = {name.rsplit("_", 1)[-1] for name in os.listdir(directory)}
        assert len(pids) >= 2  # the two server processes' files

        with httpx.Client(base_url=server.base_url, timeout=30) as admin:
            frozen = admin.put(
                "/admin/clock", json={"now": "2030-01-01T00:00:00Z"}, headers=ADMIN_HEADERS
            )
            assert frozen.status_code == 200, frozen.text
            tenant = create_tenant(admin, timezone=ZONE)
            tenant.client = admin
            calendar_id = make_calendar(tenant)
            subscribed = admin.post(
                "/admin/webhooks",
                json={"locationId": tenant.location_id, "url": receiver.url},
                headers=ADMIN_HEADERS,
            )
            assert subscribed.status_code == 201, subscribed.text
            assert book(tenant, calendar_id, "2030-01-07T09:00:00-05:00").status_code == 200
        worker = subprocess.run(
            [sys.executable, "-m", "opencalendars", "worker", "--once", "--database-url", url],
            env={**os.environ, **FAST_WORKER_ENV, "PROMETHEUS_MULTIPROC_DIR": str(directory)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stderr
        receiver.wait_for(1)
        after = scrape(httpx, metrics_url)

    delivered = {"kind": "webhook", "outcome": "delivered"}
    assert value(after, "opencalendars_delivery_attempts_total", **delivered) == 1
