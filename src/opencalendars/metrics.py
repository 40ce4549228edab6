"""Prometheus metrics: `GET /metrics` in the text format (docs/operations.md, "Metrics").

`OPENCALENDARS_METRICS`: `off` (the default: `/metrics` answers 404 like any unknown path), `on`
(open, for a Prometheus on a private network), `admin` (the admin API's key, `Authorization:
Bearer <key>`).

Counted where things happen, in the process they happen in: requests (TraceIds, by route
template, method and status), bookings accepted (when their transaction commits) and refused (by
the booking check, with a reason), free-slots computations, delivery attempts (in the worker).
Read from the database at scrape time: the outbox's depth and the age of its oldest due message,
which tell whether delivery keeps up whichever process or host delivers; and the scraping
process's connection pool.

Several processes on one host (`serve --workers N`, and workers that are given the same
directory) count in prometheus-client's multiprocess mode: each process writes its values to
files in `PROMETHEUS_MULTIPROC_DIR`, and a scrape, answered by any one process, adds them all up.
The variable must be set before any metric exists, so `serve` sets it before it starts its
server processes (cli.py), and prometheus-client reads it when it is first imported.
"""

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import REGISTRY, Counter, Histogram, disable_created_metrics
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import case, event, func, select
from sqlalchemy.orm import Session

from opencalendars.db.database import POOL_OVERFLOW

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Decided once, as prometheus-client decides it: when the first metric is made.
MULTIPROCESS_DIR = os.environ.get(MULTIPROCESS_ENV) or None
if MULTIPROCESS_DIR is not None:
    # Each metric opens its file there as soon as it has a value.
    Path(MULTIPROCESS_DIR).mkdir(parents=True, exist_ok=True)

# No `_created` series beside every counter and histogram: a restart shows as a reset anyway.
disable_created_metrics()
# From a plain GET (about a millisecond) to a slow month of free slots.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A path no route matches is one series, whatever was asked: clients do not choose series.
UNMATCHED = "unmatched"

REQUEST_SECONDS = Histogram(
    "opencalendars_http_request_duration_seconds",
    "Time to answer a request, by route template (`unmatched` when no route matched), method"
    " and status.",
    ("route", "method", "status"),
    buckets=LATENCY_BUCKETS,
)
BOOKINGS_ACCEPTED = Counter(
    "opencalendars_bookings_accepted",
    "Bookings committed: appointments booked or moved through the booking check (kind"
    " `appointment`) and service bookings (kind `service`).",
    ("kind",),
)
BOOKINGS_REFUSED = Counter(
    "opencalendars_bookings_refused",
    "Bookings refused by the booking check, by reason: `slot_taken` (the time or the staff is"
    " not free), `invalid` (a span, a member or a start the booking rules do not allow).",
    ("kind", "reason"),
)
FREE_SLOTS_SECONDS = Histogram(
    "opencalendars_free_slots_duration_seconds",
    "Time to compute a free-slots answer (load, engine, shaping).",
    buckets=LATENCY_BUCKETS,
)
DELIVERY_ATTEMPTS = Counter(
    "opencalendars_delivery_attempts",
    "Delivery attempts by outcome: `delivered`, `failed` (to be tried again), `gave_up` (the last"
    " attempt, or an answer that will not get better). Counted by the worker that made them.",
    ("kind", "outcome"),
)


def booking_accepted(kind: str) -> None:
    """Count a booking whose transaction has committed."""
    BOOKINGS_ACCEPTED.labels(kind).inc()


def booking_accepted_on_commit(session: Session, kind: str) -> None:
    """Count a booking once the transaction it is written in commits (never when it rolls
    back: a later check of the same request may still refuse it)."""
    event.listen(session, "after_commit", lambda _session: BOOKINGS_ACCEPTED.labels(kind).inc())


def booking_refused(kind: str, reason: str) -> None:
    BOOKINGS_REFUSED.labels(kind, reason).inc()


def delivery_attempted(kind: str, outcome: str) -> None:
    DELIVERY_ATTEMPTS.labels(kind, outcome).inc()


class RequestMetrics:
    """TraceIds' observer: one histogram observation per request. The labelled children are
    kept at hand (a dict lookup instead of prometheus-client's checks and lock per request)."""

    def __init__(self) -> None:
        self._children: dict[tuple, object] = {}

    def __call__(self, method: str, route: str | None, status: int, *, seconds: float) -> None:
        key = (route, method, status)
        child = self._children.get(key)
        if child is None:
            child = REQUEST_SECONDS.labels(route or UNMATCHED, method, str(status))
            self._children[key] = child
        child.observe(seconds)


class DatabaseCollector:
    """Gauges read at scrape time: the outbox (one range scan of its pending index) and the
    pool of the process that answers the scrape."""

    def __init__(self, db) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        yield from self.pool()
        yield from self.outbox()

    def pool(self) -> Iterator[Metric]:
        pool = self.db.engine.pool
        if not hasattr(pool, "checkedout"):
            return
        in_use = GaugeMetricFamily(
            "opencalendars_db_pool_connections_in_use",
            "Database connections checked out of this process's pool (the process that answered"
            " the scrape).",
        )
        in_use.add_metric([], pool.checkedout())
        yield in_use
        limit = GaugeMetricFamily(
            "opencalendars_db_pool_connections_limit",
            "The most connections this process's pool opens (its size plus overflow).",
        )
        limit.add_metric([], pool.size() + POOL_OVERFLOW)
        yield limit

    def outbox(self) -> Iterator[Metric]:
        from opencalendars import clock
        from opencalendars.events.models import OutboxMessage

        with self.db.read() as session:
            now = clock.now_ms(session)
            due, scheduled, oldest_due = session.execute(
                select(
                    func.coalesce(func.sum(case((OutboxMessage.due_ms <= now, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((OutboxMessage.due_ms > now, 1), else_=0)), 0),
                    func.min(OutboxMessage.due_ms),
                ).where(OutboxMessage.status == "pending")
            ).one()
        depth = GaugeMetricFamily(
            "opencalendars_outbox_depth",
            "Messages waiting in the outbox that are due now (webhooks, due notifications,"
            " retries waiting for their next try).",
        )
        depth.add_metric([], int(due))
        yield depth
        later = GaugeMetricFamily(
            "opencalendars_outbox_scheduled",
            "Messages in the outbox due later (reminders), by the server clock.",
        )
        later.add_metric([], int(scheduled))
        yield later
        age = GaugeMetricFamily(
            "opencalendars_outbox_oldest_age_seconds",
            "How long the oldest undelivered due message has been due (0 when none is).",
        )
        age.add_metric([], max(0, now - oldest_due) / 1000 if due else 0)
        yield age


class Scrape:
    """What one scrape reads: the counters (this process's, or in multiprocess mode every
    process's files) and the database gauges."""

    def __init__(self, collectors: Iterable) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def exposition(db) -> bytes:
    counted = (
        MultiProcessCollector(None, MULTIPROCESS_DIR) if MULTIPROCESS_DIR is not None else REGISTRY
    )
    return generate_latest(Scrape((counted, DatabaseCollector(db))))


def request_observer(settings) -> RequestMetrics | None:
    """TraceIds' observer when metrics are on; None (nothing timed) when they are off."""
    return None if settings.metrics == "off" else RequestMetrics()


def check(settings) -> None:
    """`admin` mode needs the admin key (`InvalidSetting`, one line at start, otherwise)."""
    from opencalendars.settings import InvalidSetting

    if settings.metrics == "admin" and settings.admin_key is None:
        raise InvalidSetting(
            "OPENCALENDARS_METRICS='admin' is not valid without OPENCALENDARS_ADMIN_KEY: set the"
            " admin key, or use on or off"
        )


def add_route(app, settings) -> None:
    """`GET /metrics`: absent when off (404 like any unknown path), open when on, behind the
    admin key in `admin` mode."""
    from fastapi import APIRouter, Depends, Request, Response

    from opencalendars.http.admin_key import require_admin

    check(settings)
    if settings.metrics == "off":
        return

    def scrape(request: Request) -> Response:
        return Response(exposition(request.app.state.db), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    router = APIRouter(tags=["metrics"])
    dependencies = [Depends(require_admin)] if settings.metrics == "admin" else []
    router.add_api_route(
        "/metrics", scrape, methods=["GET"], include_in_schema=False, dependencies=dependencies
    )
    app.router.routes.extend(router.routes)


_DB_FILE = re.compile(r"^[a-z_]+_(\d+)\.db$")


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def clear_multiprocess_dir(directory: str) -> None:
    """Create the directory, and delete the files of processes that are no longer running: what
    a previous run left. Files of running processes (a worker sharing the directory) stay."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for file in path.iterdir():
        match = _DB_FILE.match(file.name)
        if match is not None and not is_running(int(match.group(1))):
            file.unlink(missing_ok=True)


def serving_directory(mode: str, workers: int) -> str | None:
    """Set up multiprocess mode for `serve`, before its server processes start: files of ended
    processes in a given PROMETHEUS_MULTIPROC_DIR (shared with workers on this host) are cleared;
    without one, several server processes with metrics on count in a temporary directory of this
    run, which is returned for `serve` to remove when it stops. One process without the variable
    counts in memory."""
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:
        clear_multiprocess_dir(given)
        return None
    if mode == "off" or workers == 1:
        return None
    directory = tempfile.mkdtemp(prefix="opencalendars-metrics-")
    os.environ[MULTIPROCESS_ENV] = directory
    return directory
