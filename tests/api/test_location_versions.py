"""Each location's version of each table (db/location_versions.py): every committed change to
what free slots read moves its location's version of the table changed and no other (the
server clock's moves every location's); nothing else moves it (another location's writes, the
rate limits' counting); a change to one table makes free slots read again only the statements
that name it; on PostgreSQL, compaction never changes a version, even while writers write."""

import re
import threading

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from api.slot_helpers import book, make_calendar, offered, tables_of
from opencalendars.app import create_app
from opencalendars.context import LocationContext
from opencalendars.db import batch, database
from opencalendars.db.batch import drive, fetch_round, round_statements
from opencalendars.db.database import Database
from opencalendars.db.location_versions import (
    EVERY_LOCATION_TABLES,
    LOCATION_VERSION,
    WATCHED_TABLES,
    compact,
    keep_compacting,
)
from opencalendars.db.pg_rounds import send_round
from opencalendars.db.prepared import session_connection
from opencalendars.http.rate_limits import DEFAULT_RATE_LIMITS
from opencalendars.settings import Settings
from opencalendars.slots.service import (
    FreeSlotsQuery,
    calendar_and_clock,
    free_slot_inputs,
    slots_asked,
)
from support.api import ADMIN_KEY, create_tenant
from support.databases import fresh_database, libpq_dsn, postgres_server_url

MONDAY = "2027-03-01"
MONDAY_MS = 1_803_963_600_000  # 2027-03-01T05:00:00Z, midnight in New York
DAY_MS = 86_400_000
ZONE = "America/New_York"


def on_postgres() -> None:
    if postgres_server_url() is None:
        pytest.skip("PostgreSQL's compaction and TRUNCATE (SQLite adds to a location's row)")


def versions(db: Database, location_id: str) -> dict[str, int]:
    """The location's version of each table that ever changed."""
    with db.engine.connect() as connection:
        return versions_on(connection, location_id)


def versions_on(connection, location_id: str) -> dict[str, int]:
    rows = connection.execute(LOCATION_VERSION.statement, {"location_id": location_id})
    return {table: weight for table, weight in rows}


def version(db: Database, location_id: str) -> int:
    """All of the location's tables' together."""
    return sum(versions(db, location_id).values())


def moved(before: dict[str, int], after: dict[str, int]) -> set[str]:
    """The tables whose version moved; none ever goes back."""
    assert all(after.get(table, 0) >= weight for table, weight in before.items())
    return {table for table, weight in after.items() if weight != before.get(table, 0)}


def block(tenant, calendar_id: str, start: str = "09:00", end: str = "09:30") -> None:
    body = {
        "locationId": tenant.location_id,
        "calendarId": calendar_id,
        "startTime": f"{MONDAY}T{start}:00-05:00",
        "endTime": f"{MONDAY}T{end}:00-05:00",
    }
    response = tenant.post("/calendars/events/block-slots", json=body)
    assert response.status_code == 201, response.text


def tables_read(app, context: LocationContext, calendar_id: str) -> set[str]:
    """Every table a free-slots request for the calendar names, over all its rounds."""
    query = FreeSlotsQuery(MONDAY_MS, MONDAY_MS + DAY_MS, ZONE, [], False)

    def reads():
        calendar, now_ms = yield from calendar_and_clock(context, calendar_id)
        asked = slots_asked(context, calendar, now_ms=now_ms, query=query)
        return (yield from free_slot_inputs(context, asked, query=query))

    named: list[str] = []
    with app.state.db.read() as session:
        dialect, connection = session_connection(session)

        def noted(fetches):
            named.extend(sql for _, _, (sql, _) in round_statements(dialect, fetches))
            return fetch_round(dialect, connection, fetches)

        drive(reads(), noted)
    return set().union(*map(tables_of, named))


# pg_trigger.tgtype's bits of each event.
PG_EVENTS = {4: "INSERT", 8: "DELETE", 16: "UPDATE", 32: "TRUNCATE"}


def versioned_events(db: Database) -> dict[str, set[str]]:
    """For each table, the changes a trigger adds to a location's version for."""
    found: dict[str, set[str]] = {}
    with db.engine.connect() as connection:
        if db.is_sqlite:
            rows = connection.exec_driver_sql(
                "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
                " AND sql LIKE '%location_versions%'"
            ).all()
            for table, sql in rows:
                event = re.search(r"AFTER (INSERT|UPDATE|DELETE) ON", sql).group(1)
                found.setdefault(table, set()).add(event)
            return found
        rows = connection.execute(
            text(
                "SELECT c.relname, t.tgtype FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
                " WHERE p.proname LIKE 'opencalendars_%location%'"
            )
        ).all()
    for table, kind in rows:
        found.setdefault(table, set()).update(
            event for bit, event in PG_EVENTS.items() if kind & bit
        )
    return found


def test_every_table_free_slots_read_is_watched(app, tenant):
    """Calendars of every shape (a team, an event calendar, a service calendar with a room
    shared with another calendar, buffers of another calendar): each table their reads name
    has the triggers, on each kind of change."""
    team = make_calendar(tenant, "round_robin", members=("ann", "bob"))
    event = make_calendar(tenant, "event")
    service = make_calendar(tenant, "service_booking", members=("ann",))
    other_service = make_calendar(tenant, "service_booking", members=("bob",))
    make_calendar(tenant, "personal", members=("bob",), slotBuffer=30)
    room = tenant.post(
        "/calendars/resources/rooms",
        json={
            "locationId": tenant.location_id,
            "name": "Room",
            "capacity": 1,
            "calendarIds": [service, other_service],
        },
    )
    assert room.status_code == 201, room.text
    context = LocationContext(tenant.location_id, ZONE)
    read = set().union(*(tables_read(app, context, id_) for id_ in (team, event, service)))

    # Exactly: a table read but not watched could serve stale rows; one watched but not read
    # would only cost its writers.
    assert read == set(WATCHED_TABLES) | set(EVERY_LOCATION_TABLES)
    every_change = {"INSERT", "UPDATE", "DELETE"} | (
        set() if app.state.db.is_sqlite else {"TRUNCATE"}
    )
    assert versioned_events(app.state.db) == {table: every_change for table in read}


def test_a_change_moves_its_locations_version_and_no_other(app, tenant, other_tenant):
    db = app.state.db
    calendar_id = make_calendar(tenant)
    other_id = make_calendar(other_tenant)
    first, other = versions(db, tenant.location_id), versions(db, other_tenant.location_id)

    block(tenant, calendar_id)
    after_block = versions(db, tenant.location_id)
    assert moved(first, after_block) == {"blocked_slots"}
    assert versions(db, other_tenant.location_id) == other

    # By hand, in SQL: an update of no value is a change too (the triggers cannot tell), one
    # that rolls back is none, and a delete is one.
    where = {"location": tenant.location_id}
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE blocked_slots SET start_ms = start_ms WHERE location_id = :location"),
            where,
        )
    after_update = versions(db, tenant.location_id)
    assert moved(after_block, after_update) == {"blocked_slots"}
    with db.engine.connect() as connection:
        connection.execute(text("DELETE FROM blocked_slots WHERE location_id = :location"), where)
        mine = versions_on(connection, tenant.location_id)  # its own change
        assert moved(after_update, mine) == {"blocked_slots"}
        connection.rollback()
    assert versions(db, tenant.location_id) == after_update
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM blocked_slots WHERE location_id = :location"), where)
    assert moved(after_update, versions(db, tenant.location_id)) == {"blocked_slots"}
    # A calendar's edit moves the calendars' version alone.
    before_edit = versions(db, tenant.location_id)
    edited = tenant.put(f"/calendars/{calendar_id}", json={"name": "Renamed"})
    assert edited.status_code == 200, edited.text
    assert moved(before_edit, versions(db, tenant.location_id)) == {"calendars"}
    assert versions(db, other_tenant.location_id) == other
    assert offered(other_tenant, other_id, MONDAY)  # unaffected, and answering


def test_the_server_clock_moves_every_locations_version(app, tenant, other_tenant, frozen_clock):
    """Free slots read the clock with the calendar, and keep both on SQLite."""
    db = app.state.db
    before = [versions(db, tenant.location_id), versions(db, other_tenant.location_id)]
    frozen_clock("2027-03-01T08:00:00-05:00")
    after = [versions(db, tenant.location_id), versions(db, other_tenant.location_id)]
    assert all(
        moved(then, now) == {"server_clock"} for now, then in zip(after, before, strict=True)
    )


def test_a_truncate_moves_every_locations_version(tmp_path):
    on_postgres()
    with fresh_database(tmp_path) as url:
        db = Database(url)
        try:
            from opencalendars.db import migrate

            migrate.upgrade(db)
            before = versions(db, "any-location")
            with db.engine.begin() as connection:
                connection.exec_driver_sql("TRUNCATE external_busy")
            after = versions(db, "any-location")
            assert moved(before, after) == {"external_busy"}
            assert after["external_busy"] == before.get("external_busy", 0) + 1
            assert versions(db, "another") == after
        finally:
            db.dispose()


def statements_sent(db: Database, monkeypatch) -> list[str]:
    """The SQL of every statement the free-slots plans send from now on (not the rate limits'
    counting), on both engines."""
    sent: list[str] = []
    if db.is_sqlite:
        all_rows = batch._all_rows
        monkeypatch.setattr(
            batch, "_all_rows", lambda *args: sent.append(args[1]) or all_rows(*args)
        )
        return sent

    async def noted(connection, statements, **options):
        sent.extend(sql for sql, _ in statements)
        return await send_round(connection, statements, **options)

    monkeypatch.setattr(database, "send_round", noted)
    return sent


# What every free-slots request reads on PostgreSQL, in its first round: the location's versions,
# the calendar and the clock (SQLite keeps the calendar and clock too).
FIRST_ROUND = {
    frozenset({"location_changes", "location_versions"}),
    frozenset({"calendars"}),
    frozenset({"server_clock"}),
}


def read_again(sent: list[str]) -> set[frozenset[str]]:
    """The tables of each statement sent besides those of the first round."""
    return {frozenset(tables_of(sql)) for sql in sent} - FIRST_ROUND


def test_rate_limit_counts_and_other_locations_leave_kept_free_slots_in_use(
    database_url, monkeypatch
):
    """With rate limits counted in PostgreSQL every request commits its count; that, and
    another location's calendar changing, must not make free slots read anything again (the
    versions before these, the cluster's snapshot and SQLite's data_version, moved with each).
    A change in the location makes them read again what names the table it changed, and only
    that: a block, the blocked slots; a booking, the appointments (and the engine runs)."""
    app = create_app(
        Settings(database_url=database_url, admin_key=ADMIN_KEY, rate_limits=DEFAULT_RATE_LIMITS)
    )
    try:
        with TestClient(app) as client:
            tenant = create_tenant(client)
            elsewhere = create_tenant(client, name="Elsewhere")
            calendar_id = make_calendar(tenant)
            elsewhere_id = make_calendar(elsewhere)
            whole = offered(tenant, calendar_id, MONDAY)
            db = app.state.db
            sent = statements_sent(db, monkeypatch)
            for _ in range(3):
                assert offered(tenant, calendar_id, MONDAY) == whole
            block(elsewhere, elsewhere_id)
            assert offered(tenant, calendar_id, MONDAY) == whole
            # SQLite: nothing but the versions; PostgreSQL: the first round each time.
            versions_read = sum("location_versions" in tables_of(sql) for sql in sent)
            assert len(sent) == 0 if db.is_sqlite else versions_read == 4
            assert read_again(sent) == set()

            block(tenant, calendar_id)
            sent.clear()
            assert offered(tenant, calendar_id, MONDAY) == whole[1:]
            assert read_again(sent) == {frozenset({"blocked_slots"})}

            book(tenant, calendar_id, whole[-1], "contact-1")
            sent.clear()
            assert offered(tenant, calendar_id, MONDAY) == whole[1:-1]
            assert read_again(sent) == {
                frozenset({"appointment_users"}),
                frozenset({"appointments"}),
            }
    finally:
        app.state.rate_limiter.close()
        app.state.db.dispose()


def insert_blocks(dsn: str, location_id: str, count: int) -> None:
    """`count` statements, each a transaction of its own inserting one blocked slot."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        for n in range(count):
            connection.execute(
                "INSERT INTO blocked_slots (id, location_id, calendar_id, assigned_user_id,"
                " title, start_ms, end_ms, deleted, date_added_ms, date_updated_ms)"
                " VALUES (%s, %s, NULL, 'ann', 'Busy', %s, %s, false, 0, 0)",
                (f"{location_id}-{n}", location_id, n * 60_000, (n + 1) * 60_000),
            )


def test_compaction_never_changes_a_version_while_writers_write(app, tenant, other_tenant):
    """Two writers commit one change after another in two locations while compactions run
    (two at once: the second finds it is not its turn) and a reader reads versions: a version
    never goes back, and in the end each location's is exactly its starting one plus its
    writer's commits, with nothing left to compact."""
    on_postgres()
    db = app.state.db
    dsn = libpq_dsn(db.engine.url.render_as_string(hide_password=False))
    locations = [tenant.location_id, other_tenant.location_id]
    started = {location: version(db, location) for location in locations}
    writers = [
        threading.Thread(target=insert_blocks, args=(dsn, location, 150)) for location in locations
    ]
    stop = threading.Event()
    compactors = [
        threading.Thread(target=keep_compacting, args=(db.engine, stop, 0.005)) for _ in range(2)
    ]
    for thread in writers + compactors:
        thread.start()
    seen = {location: [] for location in locations}
    while any(thread.is_alive() for thread in writers):
        for location in locations:
            seen[location].append(version(db, location))
    stop.set()
    for thread in writers + compactors:
        thread.join()
    compact(db.engine)

    for location in locations:
        assert seen[location] == sorted(seen[location])
        assert version(db, location) == started[location] + 150
    with db.engine.connect() as connection:
        left = connection.exec_driver_sql("SELECT count(*) FROM location_changes").scalar()
    assert left == 0


def test_a_compaction_waits_its_turn(app, tenant):
    """While another process compacts, this one does nothing (and changes nothing)."""
    on_postgres()
    db = app.state.db
    make_calendar(tenant)
    dsn = libpq_dsn(db.engine.url.render_as_string(hide_password=False))
    with psycopg.connect(dsn) as other:
        other.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('compact:location_changes', 0))"
        )
        before = version(db, tenant.location_id)
        assert compact(db.engine) is False
        assert version(db, tenant.location_id) == before
    assert compact(db.engine) is True
    assert version(db, tenant.location_id) == before


def test_compacting_starts_at_once(app, tenant):
    """What piled up before a server started (a bulk import, a worker alone) is compacted when
    it starts, not a turn later: a version read meanwhile would read every row."""
    on_postgres()
    db = app.state.db
    dsn = libpq_dsn(db.engine.url.render_as_string(hide_password=False))
    insert_blocks(dsn, tenant.location_id, 3)
    stop = threading.Event()
    stop.set()  # asked to stop before its first wait: it returns after its first turn
    keep_compacting(db.engine, stop, 3600)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM location_changes").scalar() == 0


def test_a_postgresql_server_compacts_as_it_serves(client):
    on_postgres()
    names = {thread.name for thread in threading.enumerate()}
    assert "location-versions" in names


# How the release before migration 0023 read a location's version, and compacted.
PREVIOUS_RELEASE_VERSION = (
    "SELECT (SELECT coalesce(sum(weight), 0) FROM location_changes"
    " WHERE location_id IN (:location_id, '*'))"
    " + (SELECT coalesce(sum(weight), 0) FROM location_versions"
    " WHERE location_id IN (:location_id, '*'))"
)
PREVIOUS_RELEASE_COMPACTION = (
    "WITH moved AS (DELETE FROM location_changes RETURNING location_id, weight)"
    " INSERT INTO location_versions AS kept (location_id, weight)"
    " SELECT location_id, sum(weight) FROM moved GROUP BY location_id"
    " ON CONFLICT (location_id) DO UPDATE SET weight = kept.weight + excluded.weight"
)


def test_the_previous_release_still_reads_true_versions(app, tenant):
    """Migration 0023 only adds: a process of the release before reads a location's version as
    the sum of all its rows, which every change still moves and a compaction leaves as it was;
    its own compaction fails and changes nothing (docs/operations.md, "Migrations at deploy")."""
    db = app.state.db
    calendar_id = make_calendar(tenant)

    def previous_version() -> int:
        with db.engine.connect() as connection:
            where = {"location_id": tenant.location_id}
            return connection.execute(text(PREVIOUS_RELEASE_VERSION), where).scalar()

    before = previous_version()
    assert before == version(db, tenant.location_id)
    block(tenant, calendar_id)
    after = previous_version()
    assert after > before
    if db.is_sqlite:
        return
    assert compact(db.engine) and previous_version() == after
    block(tenant, calendar_id, "10:00", "10:30")
    with pytest.raises(ProgrammingError, match="ON CONFLICT"), db.engine.begin() as connection:
        connection.exec_driver_sql(PREVIOUS_RELEASE_COMPACTION)
    assert previous_version() == version(db, tenant.location_id) > after
