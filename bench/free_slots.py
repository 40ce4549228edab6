"""Free-slots benchmark (issue: the availability engine, fast at scale).

A location in America/New_York with a round-robin calendar of 10 members, each working
Mon-Fri 09:00-17:00 (30-minute slots and interval, 15-minute slotBuffer), 2,000 occupying
appointments and 200 blocked slots over 31 days. A real server (one worker) on loopback
answers a 31-day `free-slots` query and `GET /calendars/{id}`; both are timed in the same
run. Asked again and again with nothing committed in between, free slots are answered from the
rows read the first time (db/read_cache.py); so they are timed two more ways, each request
right after a commit: elsewhere (an operator's new location: on SQLite the database changed and
everything is read again; on PostgreSQL versions are per location and the kept answer stands),
and in the location itself, to what free slots read but not to their answer (a blocked slot of
someone outside the team: the blocked slots are read again), and a booking of one member (the
appointments are read again, and the engine finds that member's starts again). Then the
location gets 1,000,000 more appointments of other calendars and users over two years, and
free-slots is timed again, by servers that read on every request (`OPENCALENDARS_READ_CACHE=off`).

With `--synced-events N` (issue 18) the same database also holds copies of the location whose
ten members each have N busy events in their own calendar, synced the way the worker syncs
them: each member gets a conflict-calendar connection to an ICS URL served on loopback, and
`sync_connection` fetches, expands, merges and stores it. `--synced-spread` says where the N
events fall: `month`, all in the 31 days queried (every one of them read by the query), and
`year`, over the whole sync window (7 days before the server clock's now to 366 after, so the
queried month holds about a twelfth). Their free slots are timed turn by turn with the plain
location's free slots and GET, by a server that reads on every request
(`OPENCALENDARS_READ_CACHE=off`).

With `--past-blocks N` the measured location also holds N hour-long blocked slots over the 5 years
before the range, half the calendar's and half its members': history that the busy reads must not
walk (bench/RESULTS.md, "Issue 21, 2026-12-06 (evening)").

    python bench/free_slots.py [--database-url URL] [--requests N] [--skip-million]
        [--synced-events N] [--synced-spread month,year] [--past-blocks N]
"""

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    ADMIN_KEY,
    READ_EVERY_TIME,
    interleaved,
    machine,
    p50,
    p95,
    running_server,
)

from opencalendars import clock
from opencalendars.admin import service as admin_service
from opencalendars.appointments.models import Appointment, AppointmentUser
from opencalendars.availability.engine import free_slots
from opencalendars.blocked_slots.models import BlockedSlot
from opencalendars.busy.people import persons_for
from opencalendars.busy.rules import busy_range, slot_rules
from opencalendars.calendars import service as calendar_service
from opencalendars.calendars.schemas import CalendarCreateDTO
from opencalendars.context import LocationContext
from opencalendars.db import migrate
from opencalendars.db.batch import run_plan
from opencalendars.db.database import Database
from opencalendars.ids import new_id
from opencalendars.schedules import service as schedule_service
from opencalendars.schedules.schemas import CreateScheduleDTO
from opencalendars.sync import connections as sync_connections
from opencalendars.sync.models import ExternalBusy

ZONE = "America/New_York"
MEMBERS = [f"member-{n:02d}" for n in range(10)]
RANGE_START = datetime.fromisoformat("2027-03-01T00:00:00-05:00")
DAY_MS = 86_400_000
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
START_MS = int(RANGE_START.timestamp() * 1000)
END_MS = START_MS + 31 * DAY_MS - 1
SLOTS_PARAMS = {"startDate": START_MS, "endDate": END_MS}
WORKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def local_ms(day: int, minute_of_day: int) -> int:
    """An instant `day` days after the range start at a New York wall-clock minute."""
    from opencalendars.availability.resolver import local_instant_ms

    return local_instant_ms(
        RANGE_START.date().fromordinal(RANGE_START.date().toordinal() + day), minute_of_day, ZONE
    )


def appointment_rows(location_id, calendar_id, user_id, start, end):
    appointment_id = new_id()
    appointment = {
        "id": appointment_id, "location_id": location_id, "calendar_id": calendar_id,
        "assigned_user_id": user_id, "users": [], "contact_id": "bench-contact",
        "title": "Bench", "status": "confirmed", "start_ms": start, "end_ms": end,
        "deleted": False, "details": {}, "date_added_ms": 0, "date_updated_ms": 0,
    }  # fmt: skip
    person = {
        "appointment_id": appointment_id, "user_id": user_id, "location_id": location_id,
        "calendar_id": calendar_id, "start_ms": start, "end_ms": end, "occupies": True,
    }  # fmt: skip
    return appointment, person


def insert_appointments(db: Database, rows) -> None:
    appointments, people = zip(*rows, strict=True)
    with db.engine.begin() as connection:
        for offset in range(0, len(appointments), 20_000):
            connection.execute(
                insert(Appointment.__table__), appointments[offset : offset + 20_000]
            )
            connection.execute(insert(AppointmentUser.__table__), people[offset : offset + 20_000])


def block_kinds(user_blocks: int, calendar_blocks: int) -> list[bool]:
    """Whether each block is calendar-level: alternating user-level and calendar-level while
    both remain (the benchmark location's 100 and 100), then the rest of whichever is left."""
    paired = min(user_blocks, calendar_blocks)
    kinds = [n % 2 == 1 for n in range(2 * paired)]
    return kinds + [False] * (user_blocks - paired) + [True] * (calendar_blocks - paired)


def seed(
    db: Database,
    rng: random.Random,
    members: list[str] = MEMBERS,
    appointments: int = 2000,
    user_blocks: int = 100,
    calendar_blocks: int = 100,
):
    """The benchmark location; the same `rng` seed gives the same appointments and blocks.
    bench/growth.py passes another team and the counts that keep each member's load."""
    # Bookings name made-up contact ids (the location's check of them still runs).
    location = admin_service.create_location(
        db, "Bench", ZONE, location_id=None, require_contacts=False
    )
    _token, secret = admin_service.create_token(db, location.id, None, name="bench")
    calendar = calendar_service.create_calendar(
        db,
        CalendarCreateDTO.model_validate(
            {
                "locationId": location.id, "name": "Sales", "calendarType": "round_robin",
                "teamMembers": [{"userId": m} for m in members],
                "slotDuration": 30, "slotInterval": 30, "slotBuffer": 15,
            }
        ),
    )  # fmt: skip
    rules = [
        {"type": "wday", "day": day, "intervals": [{"from": "09:00", "to": "17:00"}]}
        for day in WORKDAYS
    ]
    for member in members:
        schedule_service.create_schedule(
            db,
            CreateScheduleDTO.model_validate(
                {
                    "locationId": location.id, "name": "Hours", "userId": member,
                    "timezone": ZONE, "rules": rules, "calendarIds": [calendar.id],
                }
            ),
        )  # fmt: skip
    weekdays = [
        d
        for d in range(31)
        if RANGE_START.date().fromordinal(RANGE_START.date().toordinal() + d).weekday() < 5
    ]
    rows = []
    for _ in range(appointments):
        start = local_ms(rng.choice(weekdays), 9 * 60 + 30 * rng.randrange(16))
        rows.append(
            appointment_rows(
                location.id, calendar.id, rng.choice(members), start, start + 30 * MINUTE_MS
            )
        )
    insert_appointments(db, rows)
    blocks = []
    for calendar_level in block_kinds(user_blocks, calendar_blocks):
        start = local_ms(rng.choice(weekdays), 9 * 60 + 15 * rng.randrange(28))
        blocks.append(
            block_row(
                location.id,
                calendar.id if calendar_level else None,
                None if calendar_level else rng.choice(members),
                start,
                start + rng.choice((30, 60, 90)) * MINUTE_MS,
            )
        )
    with db.engine.begin() as connection:
        connection.execute(insert(BlockedSlot.__table__), blocks)
    with db.write() as session:
        clock.set_frozen_ms(session, START_MS - DAY_MS)
    return location, secret, calendar


def block_row(
    location_id: str, calendar_id: str | None, user_id: str | None, start_ms: int, end_ms: int
) -> dict:
    """A blocked slot's row: the calendar's (`calendar_id`) or a user's (`user_id`)."""
    return {
        "id": new_id(), "location_id": location_id,
        "calendar_id": calendar_id, "assigned_user_id": user_id,
        "title": "Busy", "start_ms": start_ms, "end_ms": end_ms,
        "deleted": False, "date_added_ms": 0, "date_updated_ms": 0,
    }  # fmt: skip


def add_past_blocks(
    db: Database, location_id: str, calendar_id: str, rng: random.Random, count: int
) -> None:
    """`count` blocked slots of an hour over the 5 years before the range queried, half of them
    the calendar's, half its members': history that a free-slots read must not walk."""
    rows = []
    for n in range(count):
        start = START_MS - rng.randrange(1, 5 * 365) * DAY_MS - rng.randrange(24) * HOUR_MS
        if n % 2:
            rows.append(block_row(location_id, None, rng.choice(MEMBERS), start, start + HOUR_MS))
        else:
            rows.append(block_row(location_id, calendar_id, None, start, start + HOUR_MS))
    with db.engine.begin() as connection:
        for at in range(0, len(rows), 10_000):
            connection.execute(insert(BlockedSlot.__table__), rows[at : at + 10_000])


def add_million(db: Database, location_id: str, rng: random.Random, count: int) -> None:
    """Appointments of 1,000 other users in 100 other calendars over two years around the range."""
    first = START_MS - 365 * DAY_MS
    rows = []
    for _ in range(count):
        start = first + rng.randrange(730 * 48) * 30 * MINUTE_MS
        rows.append(
            appointment_rows(
                location_id, f"other-calendar-{rng.randrange(100):03d}",
                f"other-user-{rng.randrange(1000):04d}", start, start + 30 * MINUTE_MS,
            )
        )  # fmt: skip
        if len(rows) == 100_000:
            insert_appointments(db, rows)
            rows = []
    if rows:
        insert_appointments(db, rows)


# Where `--synced-spread` puts each member's synced events, as day offsets from the range start
# (March 1): the 31 days queried, or the sync window around the server clock's now (February 28,
# the benchmark's frozen clock): 7 days before it to 366 days after.
SYNCED_SPREADS = {"month": (0, 31), "year": (-8, 365)}


def _ics_utc(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")


def synced_ics(rng: random.Random, member: str, count: int, days: tuple[int, int]) -> str:
    """One member's own calendar as an ICS file (what a Google or Outlook secret address
    serves): `count` busy events on days `days[0]` to `days[1]` - 1 after the range start.
    2% all-day (a quarter of them 2 or 3 days long); 58% meetings on weekdays starting 08:00 to
    17:30 New York time, 15 to 120 minutes (some begin before or end after the 09:00-17:00
    hours); 40% outside those hours (early mornings, evenings, weekends). Events may overlap:
    the sync merges them."""
    first = RANGE_START.date().toordinal()
    weekday = {day: RANGE_START.date().fromordinal(first + day).weekday() for day in range(*days)}
    week = [day for day, number in weekday.items() if number < 5]
    weekend = [day for day, number in weekday.items() if number >= 5]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//OpenCalendars bench//EN"]
    for n in range(count):
        kind = rng.random()
        event = [f"UID:{member}-{n}@bench.example", "DTSTAMP:20270101T000000Z", "SUMMARY:Busy"]
        if kind < 0.02:
            begin = RANGE_START.date().fromordinal(first + rng.randrange(*days))
            length = rng.choice((2, 3)) if rng.random() < 0.25 else 1
            event += [
                f"DTSTART;VALUE=DATE:{begin:%Y%m%d}",
                f"DTEND;VALUE=DATE:{begin + timedelta(days=length):%Y%m%d}",
            ]
        else:
            if kind < 0.60:
                day, minute = rng.choice(week), 8 * 60 + 15 * rng.randrange(39)
                minutes = rng.choice((15, 30, 30, 45, 60, 60, 90, 120))
            elif rng.random() < 0.5 or not weekend:
                day = rng.choice(week)
                if rng.random() < 0.4:  # 06:30 to 07:45
                    minute = 6 * 60 + 30 + 15 * rng.randrange(6)
                else:  # 17:30 to 22:00
                    minute = 17 * 60 + 30 + 15 * rng.randrange(19)
                minutes = rng.choice((30, 60, 60, 90, 120))
            else:
                day, minute = rng.choice(weekend), 8 * 60 + 15 * rng.randrange(49)
                minutes = rng.choice((30, 60, 60, 90, 120, 180))
            start = local_ms(day, minute)
            event += [f"DTSTART:{_ics_utc(start)}", f"DTEND:{_ics_utc(start + minutes * 60_000)}"]
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


class _Files(BaseHTTPRequestHandler):
    """Serves `files` (path -> bytes) as text/calendar, as an ICS host would."""

    files: dict[str, bytes] = {}

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def add_synced(db: Database, location_id: str, base_url: str) -> dict:
    """A conflict-calendar connection per member to the member's ICS file, synced now by the
    sync's own code (fetch, expand, merge, store). What was stored, and how long it took."""
    started = time.perf_counter()
    occurrences = 0
    for member in MEMBERS:
        path = f"/{location_id}/{member}.ics"
        created = sync_connections.create_connection(
            db, location_id=location_id, user_id=member, kind="ics",
            url=f"{base_url}{path}", username=None, password=None,
        )  # fmt: skip
        synced = sync_connections.sync_connection(db, created.id)
        if synced.last_error is not None:
            raise RuntimeError(f"sync of {member} failed: {synced.last_error}")
        occurrences += synced.busy_count
    took = time.perf_counter() - started
    with db.read() as session:
        spans = session.scalar(select(func.count()).where(ExternalBusy.location_id == location_id))
        in_range = session.scalar(
            select(func.count()).where(
                ExternalBusy.location_id == location_id,
                ExternalBusy.start_ms < END_MS + 1,
                ExternalBusy.end_ms > START_MS,
            )
        )
    return {"occurrences": occurrences, "spans": spans, "in_range": in_range, "seconds": took}


def synced_locations(db: Database, count: int, spreads: list[str]) -> list[tuple]:
    """For each spread, the benchmark location again (the same appointments and blocks) with
    `count` synced events per member: `(spread, location, token, calendar, stored)`."""
    made = []
    for spread in spreads:
        location, token, calendar = seed(db, random.Random(20270301))
        rng = random.Random(f"synced-{spread}")
        _Files.files.update(
            {
                f"/{location.id}/{member}.ics": synced_ics(
                    rng, member, count, SYNCED_SPREADS[spread]
                ).encode()
                for member in MEMBERS
            }
        )
        made.append((spread, location, token, calendar))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        return [
            (spread, location, token, calendar, add_synced(db, location.id, base_url))
            for spread, location, token, calendar in made
        ]
    finally:
        server.shutdown()
        server.server_close()


def settle(db: Database) -> None:
    """Bring the seeded database to the steady state of a running server, so that reads
    measure that and not the bulk load: SQLite's write-ahead log folded into the database, as
    its checkpoints would; on PostgreSQL the tables vacuumed, as autovacuum does after a bulk
    insert (the pages marked all-visible, so covering indexes are read without the table).
    Done here, autovacuum does not run on the same two cores in the middle of a measurement."""
    if db.is_sqlite:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("ANALYZE")
    else:
        autocommit = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with autocommit as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def engine_only_ms(db: Database, location_id: str, calendar_id: str, runs: int = 50) -> float:
    """The pure engine call on inputs loaded once (no I/O, no formatting)."""
    with db.read() as session:
        calendar = calendar_service.read_live_calendar(session, location_id, calendar_id)
        now_ms = clock.now_ms(session)
        rules = slot_rules(
            calendar, now_ms=now_ms, location_zone=ZONE, start_ms=START_MS, end_ms=END_MS + 1
        )
        persons = run_plan(
            session,
            persons_for(
                calendar,
                context=LocationContext(location_id, ZONE),
                members=MEMBERS,
                start_ms=START_MS,
                end_ms=END_MS + 1,
                busy_span=busy_range(
                    calendar,
                    zone=ZONE,
                    first_start_ms=START_MS,
                    last_start_ms=END_MS,
                    last_end_ms=END_MS + 1 + calendar.slot_duration_ms,
                ),
            ),
        )
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        free_slots(persons, rules)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def commit_elsewhere(client: httpx.Client, _location_id: str, n: int) -> None:
    """An operator's new location."""
    created = client.post(
        "/admin/locations",
        json={"name": f"commit {n}"},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    created.raise_for_status()


def commit_in_location(client: httpx.Client, location_id: str, n: int) -> None:
    """A blocked slot of someone in the location but not on the calendar's team: a change to
    what free slots read (the location's blocked slots), none to their answer."""
    start = START_MS + (n % 500) * HOUR_MS
    created = client.post(
        "/calendars/events/block-slots",
        json={
            "locationId": location_id,
            "assignedUserId": "not-on-the-team",
            "startTime": start,
            "endTime": start + HOUR_MS // 2,
        },
    )
    created.raise_for_status()


def booking_in(calendar_id: str):
    """A commit that changes the answer: a booking of one member of the calendar in their
    working hours (members and times in turn; `ignoreFreeSlotValidation`, so that every one is
    accepted however full the month gets). Free slots then read the appointments again and the
    engine finds that member's starts again."""
    workdays = [day for day in range(31) if day % 7 < 5]  # the range starts on a Monday

    def commit(client: httpx.Client, location_id: str, n: int) -> None:
        start = local_ms(workdays[n % len(workdays)], 9 * 60 + (n // len(workdays)) % 16 * 30)
        booked = client.post(
            "/calendars/events/appointments",
            json={
                "calendarId": calendar_id,
                "locationId": location_id,
                "contactId": f"bench-after-{n}",
                "assignedUserId": MEMBERS[n % len(MEMBERS)],
                "startTime": start,
                "ignoreFreeSlotValidation": True,
            },
        )
        booked.raise_for_status()

    return commit


def after_each_commit(
    client: httpx.Client, location_id: str, calendar_id: str, *, commit, count: int
) -> tuple[list[float], list[float]]:
    """(GET calendar, free slots) milliseconds, each free-slots request right after a commit
    (`commit(client, location_id, n)`, untimed)."""
    calendar_path = f"/calendars/{calendar_id}"
    slots_path = f"{calendar_path}/free-slots"
    got, slots = [], []
    for n in range(count):
        commit(client, location_id, n)
        for timings, path, params in ((slots, slots_path, SLOTS_PARAMS), (got, calendar_path, {})):
            started = time.perf_counter()
            response = client.get(path, params=params)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return got, slots


def client_for(base_url: str, token: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}", "Version": "2021-07-28"}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30)


def offered_slots(client: httpx.Client, calendar_id: str) -> int:
    answer = client.get(f"/calendars/{calendar_id}/free-slots", params=SLOTS_PARAMS).json()
    # The date keys; the answer's `traceId` beside them is no day.
    return sum(len(day["slots"]) for day in answer.values() if isinstance(day, dict))


def million_url(url: str, workdir: Path, name: str = "million") -> str:
    """A second, empty database beside the first one: `name`.db in `workdir` for SQLite, the
    first one's name + `_name` for PostgreSQL (dropped and created)."""
    if url.startswith("sqlite"):
        return f"sqlite:///{workdir / f'{name}.db'}"
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = f"{parsed.database}_{name}"
    admin = parsed.set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        connection.execute(f'CREATE DATABASE "{database}"')
    return parsed.set(database=database).render_as_string(False)


def prepared(url: str | None, workdir: Path, *, past_blocks: int = 0):
    """The benchmark location in a fresh database (SQLite in `workdir` by default), with
    `past_blocks` more blocked slots before the range, settled, with the machine printed:
    `(url, db, location, token, calendar)`."""
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    db = Database(url)
    migrate.upgrade(db)
    location, token, calendar = seed(db, random.Random(20270301))
    if past_blocks:
        add_past_blocks(db, location.id, calendar.id, random.Random(2), past_blocks)
    settle(db)
    print(f"machine: {machine()}")
    print(f"database: {db.engine.dialect.name}")
    if past_blocks:
        print(f"past blocked slots: {past_blocks:,} over the 5 years before the range")
    return url, db, location, token, calendar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--million", type=int, default=1_000_000)
    parser.add_argument(
        "--past-blocks",
        type=int,
        default=0,
        help="blocked slots over the 5 years before the range, in the measured location",
    )
    parser.add_argument(
        "--synced-events", type=int, default=0, help="synced busy events per member (issue 18)"
    )
    parser.add_argument(
        "--synced-spread",
        default="month,year",
        help="where they fall, comma-separated: month (the 31 days queried), year (sync window)",
    )
    args = parser.parse_args()
    spreads = [name for name in args.synced_spread.split(",") if name]
    if unknown := set(spreads) - set(SYNCED_SPREADS):
        parser.error(f"--synced-spread: unknown {sorted(unknown)}")
    workdir = Path(tempfile.mkdtemp(prefix="oc-bench-"))
    url, db, location, token, calendar = prepared(
        args.database_url, workdir, past_blocks=args.past_blocks
    )
    synced = []
    if args.synced_events:
        synced = synced_locations(db, args.synced_events, spreads)
        settle(db)

    with (
        # Synced locations are measured reading their synced busy time: the cache off then.
        running_server(
            url, workdir / "server.log", env=READ_EVERY_TIME if synced else None
        ) as base_url,
        client_for(base_url, token) as client,
    ):
        offered = offered_slots(client, calendar.id)
        targets = [
            (client, f"/calendars/{calendar.id}", {}),
            (client, f"/calendars/{calendar.id}/free-slots", SLOTS_PARAMS),
        ]
        synced_clients = [client_for(base_url, item[2]) for item in synced]
        synced_offered = []
        for synced_client, (_spread, _location, _token, synced_calendar, _stored) in zip(
            synced_clients, synced, strict=True
        ):
            synced_offered.append(offered_slots(synced_client, synced_calendar.id))
            targets.append(
                (synced_client, f"/calendars/{synced_calendar.id}/free-slots", SLOTS_PARAMS)
            )
        get_calendar, slots, *synced_slots = interleaved(targets, warmup=30, count=args.requests)
        for synced_client in synced_clients:
            synced_client.close()
        after_commits = {
            label: after_each_commit(
                client, location.id, calendar.id, commit=commit, count=args.requests
            )
            for label, commit in (
                ("elsewhere", commit_elsewhere),
                ("in this location", commit_in_location),
                ("booking a member of the calendar", booking_in(calendar.id)),
            )
        }
    print(f"31-day free-slots answer: {offered} slots")
    print(
        f"GET /calendars/{{id}}   p50 {p50(get_calendar):6.2f} ms   p95 {p95(get_calendar):6.2f} ms"
    )
    print(f"GET free-slots         p50 {p50(slots):6.2f} ms   p95 {p95(slots):6.2f} ms")
    ratio = p50(slots) / p50(get_calendar)
    print(f"ratio free-slots / GET calendar (p50): {ratio:.2f}  (issue 21: <= 3)")
    for label, (changed_get, changed_slots) in after_commits.items():
        print(
            f"  each right after a commit {label}: GET p50 {p50(changed_get):6.2f} ms,"
            f" free-slots p50 {p50(changed_slots):6.2f} ms p95 {p95(changed_slots):6.2f} ms,"
            f" ratio {p50(changed_slots) / p50(changed_get):.2f}"
        )
    engine = engine_only_ms(db, location.id, calendar.id)
    print(f"engine only (pure function, inputs loaded): {engine:.2f} ms")
    for (spread, synced_location, _token, synced_calendar, stored), timings, answer in zip(
        synced, synced_slots, synced_offered, strict=True
    ):
        print(
            f"\nwith {args.synced_events} synced events per member, spread over the {spread}"
            f" ({SYNCED_SPREADS[spread][1] - SYNCED_SPREADS[spread][0]} days):"
            f" {stored['occurrences']:,} busy occurrences synced in {stored['seconds']:.1f} s,"
            f" stored as {stored['spans']:,} merged spans, {stored['in_range']:,} of them"
            f" in the 31 days queried"
        )
        print(f"  31-day free-slots answer: {answer} slots")
        print(f"  GET free-slots         p50 {p50(timings):6.2f} ms   p95 {p95(timings):6.2f} ms")
        print(
            f"  ratio free-slots / GET calendar (p50): {p50(timings) / p50(get_calendar):.2f}"
            f"  (target <= 5; without: {ratio:.2f})"
        )
        cost = p50(timings) / p50(slots)
        print(f"  cost of the synced spans, free slots with / without (p50): {cost:.2f}")
        synced_engine = engine_only_ms(db, synced_location.id, synced_calendar.id)
        print(f"  engine only (pure function, inputs loaded): {synced_engine:.2f} ms")
    if args.skip_million:
        return

    # The same location again in a second database, plus a million appointments of others;
    # both servers then answer turn by turn.
    big_url = million_url(url, workdir)
    big_db = Database(big_url)
    migrate.upgrade(big_db)
    big_location, big_token, big_calendar = seed(big_db, random.Random(20270301))
    started = time.perf_counter()
    add_million(big_db, big_location.id, random.Random(1), args.million)
    settle(big_db)
    took = time.perf_counter() - started
    print(f"added {args.million:,} appointments of other users in {took:.0f} s")
    with (
        # Both read on every request: what the million other appointments may slow is the reads.
        running_server(url, workdir / "small.log", env=READ_EVERY_TIME) as small_url,
        running_server(big_url, workdir / "big.log", env=READ_EVERY_TIME) as big_base,
        client_for(small_url, token) as small_client,
        client_for(big_base, big_token) as big_client,
    ):
        assert offered_slots(big_client, big_calendar.id) == offered
        small, big = interleaved(
            [
                (small_client, f"/calendars/{calendar.id}/free-slots", SLOTS_PARAMS),
                (big_client, f"/calendars/{big_calendar.id}/free-slots", SLOTS_PARAMS),
            ],
            warmup=30,
            count=args.requests,
        )
    print(
        f"GET free-slots, 2,000 appointments:   p50 {p50(small):6.2f} ms   p95 {p95(small):6.2f} ms"
    )
    print(f"GET free-slots, +{args.million:,}: p50 {p50(big):6.2f} ms   p95 {p95(big):6.2f} ms")
    print(
        f"ratio to the 2,000-appointment case (p50): {p50(big) / p50(small):.2f}  (target <= 1.5)"
    )


if __name__ == "__main__":
    main()
