"""A crash in the middle of a booking load loses nothing that was answered and keeps nothing
that was refused.

A real `opencalendars serve` process (SQLite, or PostgreSQL when OPENCALENDARS_TEST_DATABASE_URL
is set) takes a few hundred bookings from many threads and is killed with SIGKILL after about a
third of them were answered, while others are in flight. Then:

- the database, as the crash left it, passes its own integrity checks (SQLite: `integrity_check`
  and `foreign_key_check`; PostgreSQL: amcheck on every table and B-tree index), and the rows
  agree with each other: `appointment_users` matches `appointments` row for row, nobody is
  booked twice at once, and the transactional outbox holds exactly one AppointmentCreate per
  appointment and none for an appointment that does not exist;
- a new server on the same database shows, through the API: every booking answered 2xx exactly
  once, under the id it was answered with and at the slot it asked for; no booking answered 4xx;
  each booking that got no answer at most once; every slot refused as taken held by someone;
  no person with two occupying appointments at one time.
"""

import itertools
import random
import signal
import sqlite3
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from concurrency.races import calendar_with
from opencalendars.db.database import sqlite_path
from support.api import ADMIN_HEADERS, Tenant, create_tenant
from support.databases import fresh_database
from support.server import LiveServer, live_server

pytestmark = pytest.mark.slow

MEMBERS = ("ann", "bob", "cid", "dee")  # one personal calendar each, open 09:00-17:00 New York
DAYS = [date(2030, 1, 7) + timedelta(days=n) for n in range(5)]  # Monday to Friday, all EST
SLOTS_PER_DAY = 16  # 09:00, 09:30, ... 16:30
DUPLICATE_EVERY = 4  # every 4th slot is asked for twice: one of the two must be refused
THREADS = 16
KILL_AFTER = 1 / 3  # of the requests answered
SEED = 20300107

EST = timezone(timedelta(hours=-5))
# The events listed after the crash: the whole week, in epoch ms.
RANGE = {
    "startTime": int(datetime(2030, 1, 6, tzinfo=UTC).timestamp() * 1000),
    "endTime": int(datetime(2030, 1, 13, tzinfo=UTC).timestamp() * 1000),
}
TAKEN = "The slot you have selected is no longer available."
NO_ANSWER = "no answer"
FREEING = ("cancelled", "invalid")


@dataclass
class Attempt:
    contact_id: str
    calendar_id: str
    start: datetime
    outcome: int | str = NO_ANSWER  # a status code, or NO_ANSWER
    answer: dict = field(default_factory=dict)

    @property
    def booked(self) -> bool:
        return isinstance(self.outcome, int) and 200 <= self.outcome < 300

    @property
    def refused(self) -> bool:
        return isinstance(self.outcome, int) and 400 <= self.outcome < 500

    @property
    def slot(self) -> tuple[str, datetime]:
        return self.calendar_id, self.start


@dataclass
class Crash:
    requests: int
    answered_at_kill: int
    in_flight_at_kill: int
    seconds_to_kill: float
    seconds_total: float


def plan(calendar_ids: list[str]) -> list[Attempt]:
    """Every slot of every calendar once, every 4th twice, in a shuffled order."""
    slots = [
        (
            calendar_id,
            datetime(day.year, day.month, day.day, 9, tzinfo=EST) + n * timedelta(minutes=30),
        )
        for calendar_id in calendar_ids
        for day in DAYS
        for n in range(SLOTS_PER_DAY)
    ]
    wanted = slots + slots[::DUPLICATE_EVERY]
    random.Random(SEED).shuffle(wanted)
    return [
        Attempt(f"load-{n}", calendar_id, start) for n, (calendar_id, start) in enumerate(wanted)
    ]


def run_load(server: LiveServer, tenant: Tenant, attempts: list[Attempt]) -> Crash:
    """Book every attempt from a thread pool; SIGKILL the server once a third are answered."""
    kill_at = int(len(attempts) * KILL_AFTER)
    lock = threading.Lock()
    counts = {"started": 0, "finished": 0, "answered": 0}
    crash: dict = {}
    began = time.monotonic()

    def book(attempt: Attempt) -> None:
        with lock:
            counts["started"] += 1
        try:
            response = client.post(
                "/calendars/events/appointments",
                json={
                    "calendarId": attempt.calendar_id,
                    "locationId": tenant.location_id,
                    "contactId": attempt.contact_id,
                    "startTime": attempt.start.isoformat(),
                },
            )
        except httpx.TransportError:  # refused, reset, cut off mid-answer, timed out
            attempt.outcome = NO_ANSWER
        else:
            attempt.outcome = response.status_code
            attempt.answer = response.json()
        finally:
            with lock:
                counts["finished"] += 1
                if attempt.outcome != NO_ANSWER:
                    counts["answered"] += 1
                if counts["answered"] == kill_at and not crash:
                    # Everyone else keeps going: their requests are in flight or about to be.
                    server.process.send_signal(signal.SIGKILL)
                    crash["answered"] = counts["answered"]
                    crash["in_flight"] = counts["started"] - counts["finished"]
                    crash["seconds"] = time.monotonic() - began

    with (
        httpx.Client(base_url=server.base_url, headers=tenant.headers(), timeout=20) as client,
        ThreadPoolExecutor(max_workers=THREADS) as pool,
    ):
        for _ in pool.map(book, attempts):
            pass
    assert crash, f"never killed: only {counts['answered']} of {len(attempts)} answered"
    assert server.process.wait(timeout=15) == -signal.SIGKILL
    return Crash(
        len(attempts),
        crash["answered"],
        crash["in_flight"],
        crash["seconds"],
        time.monotonic() - began,
    )


# Each query lists what breaks a rule; every one must come back empty. Plain SQL that SQLite
# and PostgreSQL both run (booleans are 0/1 on SQLite, so they compare as they do on PostgreSQL).
CONSISTENCY = {
    "appointment_users row without its appointment": """
        SELECT au.appointment_id, au.user_id FROM appointment_users au
        LEFT JOIN appointments a ON a.id = au.appointment_id WHERE a.id IS NULL""",
    "occupying single appointment without its appointment_users row": """
        SELECT a.id FROM appointments a
        WHERE a.rrule IS NULL AND NOT a.deleted AND a.status NOT IN ('cancelled', 'invalid')
          AND NOT EXISTS (
            SELECT 1 FROM appointment_users au
            WHERE au.appointment_id = a.id AND au.user_id = a.assigned_user_id
              AND au.start_ms = a.start_ms AND au.end_ms = a.end_ms AND au.occupies)""",
    "appointment_users row that disagrees with its appointment": """
        SELECT au.appointment_id, au.user_id FROM appointment_users au
        JOIN appointments a ON a.id = au.appointment_id
        WHERE au.start_ms <> a.start_ms OR au.end_ms <> a.end_ms
           OR au.calendar_id <> a.calendar_id OR au.location_id <> a.location_id
           OR a.rrule IS NOT NULL
           OR au.occupies <> (NOT a.deleted AND a.status NOT IN ('cancelled', 'invalid'))""",
    "a person booked twice at one time": """
        SELECT x.appointment_id, y.appointment_id FROM appointment_users x
        JOIN appointment_users y
          ON y.location_id = x.location_id AND y.user_id = x.user_id
         AND x.appointment_id < y.appointment_id
         AND x.start_ms < y.end_ms AND y.start_ms < x.end_ms
        WHERE x.occupies AND y.occupies""",
    "appointment without exactly one AppointmentCreate in the outbox": """
        SELECT a.id, COUNT(o.id) FROM appointments a
        LEFT JOIN outbox o
          ON o.appointment_id = a.id AND o.kind = 'webhook' AND o.topic = 'AppointmentCreate'
        GROUP BY a.id HAVING COUNT(o.id) <> 1""",
    "outbox message for an appointment that does not exist": """
        SELECT o.id, o.appointment_id FROM outbox o
        LEFT JOIN appointments a ON a.id = o.appointment_id
        WHERE o.appointment_id IS NOT NULL AND a.id IS NULL""",
}
APPOINTMENTS = "SELECT id, contact_id FROM appointments"


def check_database(url: str) -> list[tuple[str, str]]:
    """The backend's own integrity checks and CONSISTENCY; answers (id, contactId) of every
    appointment stored."""
    path = sqlite_path(url)
    if path is not None:
        # Read-only: it reads the crashed WAL without checkpointing it on close, so the next
        # server still meets the database exactly as the crash left it.
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
            broken = {rule: connection.execute(sql).fetchall() for rule, sql in CONSISTENCY.items()}
            stored = connection.execute(APPOINTMENTS).fetchall()
        finally:
            connection.close()
    else:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(dsn, autocommit=True) as connection:
            check_postgres_storage(connection)
            broken = {rule: connection.execute(sql).fetchall() for rule, sql in CONSISTENCY.items()}
            stored = connection.execute(APPOINTMENTS).fetchall()
    assert {rule: rows for rule, rows in broken.items() if rows} == {}
    return sorted(tuple(row) for row in stored)


def check_postgres_storage(connection: psycopg.Connection) -> None:
    """amcheck: every table's heap and every B-tree index (with all heap tuples in it)."""
    invalid = connection.execute(
        "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid OR NOT indisready"
    ).fetchall()
    assert invalid == []
    available = connection.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'"
    ).fetchone()
    if available is None:  # a server without contrib: the SQL checks above still run
        return
    connection.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
    relations = connection.execute(
        """SELECT c.oid::regclass::text, c.relkind, am.amname FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_am am ON am.oid = c.relam
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND c.relpersistence = 'p'"""
    ).fetchall()
    checked = 0
    for name, kind, method in relations:
        if kind == "r":
            damage = connection.execute(
                "SELECT blkno, offnum, msg FROM verify_heapam(%s::regclass)", (name,)
            ).fetchall()
            assert damage == [], f"{name}: {damage}"
            checked += 1
        elif method == "btree":
            # Raises on any inconsistency; heapallindexed: every live row is in the index.
            connection.execute("SELECT bt_index_check(%s::regclass, true)", (name,))
            checked += 1
    assert checked > 0


def list_events(tenant: Tenant, calendar_ids: list[str]) -> list[dict]:
    events = []
    for calendar_id in calendar_ids:
        response = tenant.get(
            "/calendars/events",
            params={"locationId": tenant.location_id, "calendarId": calendar_id, **RANGE},
        )
        assert response.status_code == 200, response.text
        events += response.json()["events"]
    return events


def verify(attempts: list[Attempt], events: list[dict]) -> dict[str, list]:
    """What the surviving events break, by rule (empty lists when nothing)."""
    problems: dict[str, list] = defaultdict(list)
    found: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        found[event["contactId"]].append(event)
    planned = {attempt.contact_id: attempt for attempt in attempts}
    problems["event nobody asked for"] = [c for c in found if c not in planned]

    for attempt in attempts:
        mine = found.get(attempt.contact_id, [])
        if attempt.booked:
            if [event["id"] for event in mine] != [attempt.answer["id"]]:
                problems["answered 2xx, not there exactly once under its id"].append(
                    (attempt.contact_id, attempt.answer["id"], [event["id"] for event in mine])
                )
        elif attempt.refused:
            if mine:
                problems["answered 4xx, yet there"].append((attempt.contact_id, mine))
        elif len(mine) > 1:
            problems["no answer, there more than once"].append((attempt.contact_id, mine))
        for event in mine:
            where = (event["calendarId"], datetime.fromisoformat(event["startTime"]))
            if where != attempt.slot or event["appointmentStatus"] in FREEING:
                problems["stored elsewhere than asked, or not occupying"].append(event)

    occupying = [event for event in events if event["appointmentStatus"] not in FREEING]
    held = {(e["calendarId"], datetime.fromisoformat(e["startTime"])) for e in occupying}
    for attempt in attempts:
        if attempt.refused and attempt.slot not in held:
            problems["refused as taken, yet nobody holds the slot"].append(attempt.contact_id)

    by_person: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for event in occupying:
        start = datetime.fromisoformat(event["startTime"])
        end = datetime.fromisoformat(event["endTime"])
        by_person[event["assignedUserId"]].append((start, end, event["id"]))
    for times in by_person.values():
        times.sort()
        for (_, end, first), (start, _, second) in itertools.pairwise(times):
            if start < end:
                problems["double booking"].append((first, second))
    return {rule: found for rule, found in problems.items() if found}


def test_answered_bookings_survive_sigkill_mid_load(tmp_path):
    logs_before, logs_after = tmp_path / "before-crash", tmp_path / "after-crash"
    logs_before.mkdir()
    logs_after.mkdir()
    with fresh_database(tmp_path) as url:
        with (
            live_server(url, logs_before) as first,
            httpx.Client(base_url=first.base_url) as admin,
        ):
            frozen = admin.put(
                "/admin/clock", json={"now": "2030-01-01T00:00:00Z"}, headers=ADMIN_HEADERS
            )
            assert frozen.status_code == 200, frozen.text
            tenant = create_tenant(admin, timezone="America/New_York")
            tenant.client = admin
            # Each booking queues an AppointmentCreate in the outbox in the same transaction;
            # no worker runs, so the messages stay there to be counted after the crash.
            hook = admin.post(
                "/admin/webhooks",
                json={
                    "locationId": tenant.location_id,
                    "url": "http://127.0.0.1:9/never-delivered",
                    "events": ["AppointmentCreate"],
                },
                headers=ADMIN_HEADERS,
            )
            assert hook.status_code == 201, hook.text
            calendar_ids = [calendar_with(tenant, "personal", [member]) for member in MEMBERS]

            attempts = plan(calendar_ids)
            crash = run_load(first, tenant, attempts)
        # live_server's cleanup found the process already dead and reaped: nothing to stop.

        outcomes = [attempt.outcome for attempt in attempts]
        figures = {
            "requests": crash.requests,
            "2xx": sum(attempt.booked for attempt in attempts),
            "4xx": sum(attempt.refused for attempt in attempts),
            "no answer": outcomes.count(NO_ANSWER),
            "answered at kill": crash.answered_at_kill,
            "in flight at kill": crash.in_flight_at_kill,
            "kill after s": round(crash.seconds_to_kill, 2),
            "load s": round(crash.seconds_total, 2),
        }
        print(f"\ncrash figures: {figures}")
        # The load really was cut in the middle: bookings and refusals before, silence after.
        assert set(outcomes) <= {200, 400, NO_ANSWER}, figures
        assert figures["2xx"] > 0 and figures["4xx"] > 0 and figures["no answer"] > 0, figures
        assert crash.in_flight_at_kill > 0, figures
        refusals = {attempt.answer.get("message") for attempt in attempts if attempt.refused}
        assert refusals == {TAKEN}
        for attempt in attempts:
            if attempt.booked:
                answered_at = (
                    attempt.answer["calendarId"],
                    datetime.fromisoformat(attempt.answer["startTime"]),
                )
                assert answered_at == attempt.slot, attempt

        stored = check_database(url)  # as the crash left it, before any server touches it

        with (
            live_server(url, logs_after) as second,
            httpx.Client(base_url=second.base_url) as client,
        ):
            tenant.client = client
            try:
                events = list_events(tenant, calendar_ids)
                assert verify(attempts, events) == {}
                # The restarted server shows exactly what the crashed one left on disk.
                assert sorted((e["id"], e["contactId"]) for e in events) == stored
                kept = {contact_id for _, contact_id in stored}
                unanswered_kept = sum(
                    attempt.outcome == NO_ANSWER and attempt.contact_id in kept
                    for attempt in attempts
                )
                print(f"stored: {len(stored)}, of them unanswered: {unanswered_kept}")
            finally:
                released = client.delete("/admin/clock", headers=ADMIN_HEADERS)
                assert released.status_code == 200, released.text
        check_database(url)
