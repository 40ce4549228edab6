"""Write plans (db/batch.py `Written`, db/loop_writes.py): reads under the plan's locks, then its
writes, in one transaction; on PostgreSQL right in the event loop with `BEGIN` and `COMMIT` sent
with the rounds, on SQLite in a worker thread. A plan that refuses writes nothing; one whose
write fails writes nothing either; the connection serves on after both."""

import asyncio
import sqlite3
import threading
from functools import partial

import psycopg
import pytest
from sqlalchemy import column, func, insert, select, table

from opencalendars.db import loop_writes
from opencalendars.db.batch import Fetch, Written
from opencalendars.db.database import POOL_SPARE, Database
from opencalendars.db.locks import booking_locks
from opencalendars.db.prepared import PreparedRead
from support.databases import PG_ENV, notes_database
from support.round_trips import count_round_trips

NOTES = table("notes", column("body"))
COUNT = PreparedRead(select(func.count()).select_from(NOTES), named=False)
BODIES = PreparedRead(select(NOTES.c.body).order_by(NOTES.c.body), named=False)
WRITE = PreparedRead(insert(NOTES).returning(NOTES.c.body), named=False)


class Refused(Exception):
    """What a plan raises after its reads, with nothing failed in the database."""


@pytest.fixture
def db(tmp_path):
    with notes_database(tmp_path) as db:
        yield db


@pytest.fixture
def pg(db):
    if db.is_sqlite:
        pytest.skip(f"needs a PostgreSQL server in {PG_ENV} (SQLite's writes run in a thread)")
    return db


def notes_written(*bodies: str, refuse: bool = False, seen: list | None = None):
    """A write plan: counts the notes, then writes `bodies` (or refuses, having read)."""
    (count,) = yield [Fetch(COUNT, {}, one=True, shape=lambda row: row[0])]
    if seen is not None:
        seen.append((count, threading.get_ident()))
    if refuse:
        raise Refused
    return Written(count, [Fetch(WRITE, {"body": body}) for body in bodies])


def bodies(db: Database) -> list[str]:
    with db.read() as session:
        return [body for (body,) in BODIES.all(session, {})]


def test_a_plan_reads_then_writes_and_answers_once_committed(db):
    async def run():
        first = await db.write_plan(partial(notes_written, "a", "b"))
        second = await db.write_plan(partial(notes_written, "c"))
        return first, second

    assert asyncio.run(run()) == (0, 2)
    assert bodies(db) == ["a", "b", "c"]


def test_postgresql_runs_the_plan_in_the_event_loop_and_sqlite_in_a_worker_thread(db):
    seen: list = []

    async def run():
        await db.write_plan(partial(notes_written, "a", seen=seen))
        return threading.get_ident()

    loop_thread = asyncio.run(run())
    ((_, plan_thread),) = seen
    assert (plan_thread == loop_thread) is (not db.is_sqlite)


def test_a_refused_plan_writes_nothing_and_the_next_one_writes(db):
    async def run():
        await db.write_plan(partial(notes_written, "a"))
        with pytest.raises(Refused):
            await db.write_plan(partial(notes_written, "b", refuse=True))
        return await db.write_plan(partial(notes_written, "c"))

    assert asyncio.run(run()) == 1
    assert bodies(db) == ["a", "c"]


def test_a_refused_plan_leaves_its_connection_its_prepared_statements(pg):
    async def run():
        await pg.write_plan(partial(notes_written, "a"))  # prepares the plan's statements
        connections = pg.loop_connections.of_this_loop()
        before = await connections.run(lambda c: backend_and_prepared(c))
        with pytest.raises(Refused):
            await pg.write_plan(partial(notes_written, "b", refuse=True))
        return before, await connections.run(lambda c: backend_and_prepared(c))

    (pid, prepared), (pid_after, prepared_after) = asyncio.run(run())
    # The same connection, its transaction ended, every statement still prepared.
    assert pid_after == pid and prepared_after >= prepared > 0


async def backend_and_prepared(connection) -> tuple[int, int]:
    cursor = await connection.execute(
        "SELECT pg_backend_pid(), (SELECT count(*) FROM pg_prepared_statements)"
    )
    assert connection.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
    return await cursor.fetchone()


def test_a_failed_write_writes_nothing_and_the_next_plan_writes(db):
    async def run():
        await db.write_plan(partial(notes_written, "a"))
        # "b" is new, "a" is taken: the second write fails, and the first must not stay.
        with pytest.raises((psycopg.errors.UniqueViolation, sqlite3.IntegrityError)):
            await db.write_plan(partial(notes_written, "b", "a"))
        return await db.write_plan(partial(notes_written, "c"))

    assert asyncio.run(run()) == 1
    assert bodies(db) == ["a", "c"]


LOCK_KEY = "person:x"


def locked_then_written(db: Database, body: str, *, after_a_read: bool = False):
    """A write plan that takes the booking lock of LOCK_KEY (in its second round when
    `after_a_read`: mid-transaction), then writes `body`."""
    if after_a_read:
        yield [Fetch(COUNT, {})]
    yield booking_locks(db.engine.dialect, [LOCK_KEY])
    return Written(None, [Fetch(WRITE, {"body": body})])


async def lock_holder(db: Database) -> psycopg.AsyncConnection:
    """A connection of its own holding LOCK_KEY's booking lock until it rolls back."""
    holder = await psycopg.AsyncConnection.connect(db.loop_connections.conninfo)
    (lock,) = booking_locks(db.engine.dialect, [LOCK_KEY])
    await holder.execute(*lock.read.compiled(db.engine.dialect).sql_and_parameters(lock.parameters))
    return holder


def test_a_cancelled_plan_leaves_no_lock_and_no_transaction_behind(pg):
    async def run():
        async with await lock_holder(pg) as holder:
            waiting = asyncio.ensure_future(
                pg.write_plan(partial(locked_then_written, pg, "cancelled", after_a_read=True))
            )
            await asyncio.sleep(0.3)  # waiting for the holder's lock, mid-round
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await holder.rollback()
        # The lock is free for the next plan at once: the cancelled one's session is gone.
        await asyncio.wait_for(pg.write_plan(partial(locked_then_written, pg, "next")), timeout=5)

    asyncio.run(run())
    assert bodies(pg) == ["next"]


def test_plans_waiting_for_a_lock_leave_the_event_loop_connections_for_reads(pg):
    plans = 2 * (pg.request_threads + POOL_SPARE)  # twice as many as the loop has connections

    async def run():
        async with await lock_holder(pg) as holder:
            waiting = [
                asyncio.ensure_future(pg.write_plan(partial(locked_then_written, pg, f"w{n:02}")))
                for n in range(plans)
            ]
            await asyncio.sleep(0.3)  # every plan waits: for the lock, or for its turn
            # A read (a GET, free slots, a rate limit's count) still gets a connection.
            read = await asyncio.wait_for(pg.read_first(COUNT, {}), timeout=2)
            await holder.rollback()
        await asyncio.gather(*waiting)
        return read

    assert asyncio.run(run()) == (0,)
    assert len(bodies(pg)) == plans


def test_a_connection_the_server_ended_while_idle_is_replaced_before_the_first_round(pg):
    async def run():
        await pg.write_plan(partial(notes_written, "a"))
        connections = pg.loop_connections.of_this_loop()
        pid = await connections.run(lambda c: backend(c))
        async with await psycopg.AsyncConnection.connect(pg.loop_connections.conninfo) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await asyncio.sleep(0.1)
        return await pg.write_plan(partial(notes_written, "b"))

    assert asyncio.run(run()) == 1
    assert bodies(pg) == ["a", "b"]


async def backend(connection) -> int:
    cursor = await connection.execute("SELECT pg_backend_pid()")
    (pid,) = await cursor.fetchone()
    return pid


def test_a_failed_plan_keeps_what_the_connection_prepared_even_beside_psycopgs_own(pg):
    """psycopg answers its own rollback with `DEALLOCATE ALL` once it has prepared anything on
    the connection (the rate counters' statements did): a failed plan's transaction is ended
    without it, and the statements prepared for the plans stay usable."""

    async def run():
        connections = pg.loop_connections.of_this_loop()
        await pg.write_plan(partial(notes_written, "a"))
        pid = await connections.run(lambda c: backend(c))
        # Prepared by psycopg itself, as the rate counters' statements once were.
        await connections.run(lambda c: c.execute("SELECT 1", prepare=True))
        with pytest.raises(psycopg.errors.UniqueViolation):
            await pg.write_plan(partial(notes_written, "b", "a"))
        answer = await pg.write_plan(partial(notes_written, "c"))
        return pid, await connections.run(lambda c: backend(c)), answer

    pid, pid_after, answer = asyncio.run(run())
    assert pid_after == pid  # the same connection served on
    assert answer == 1
    assert bodies(pg) == ["a", "c"]


def counted_then_listed(made: list):
    """A write plan of two rounds, the second asked for on what the first read: the count of
    notes, then (when there are any) their bodies. It writes nothing; `made` counts the plans
    made."""
    made.append(1)
    (count,) = yield [Fetch(COUNT, {}, one=True, shape=lambda row: row[0])]
    listed = []
    if count:
        (listed,) = yield [Fetch(BODIES, {}, shape=lambda rows: [body for (body,) in rows])]
    return Written((count, listed), [])


def test_a_first_round_read_as_before_goes_out_with_the_second(pg, monkeypatch):
    """db/loop_writes.py: a plan runs on what its first round read last time, and sends its
    second round with it; read otherwise this time, it is rolled back, made again, and runs on
    what was read."""
    sent = count_round_trips(monkeypatch)
    made: list = []

    async def run():
        await pg.write_plan(partial(notes_written, "a"))  # read no note, wrote one
        runs = []
        for outside in (None, None, "b"):
            if outside:
                async with await psycopg.AsyncConnection.connect(pg.loop_connections.conninfo) as c:
                    await c.execute("INSERT INTO notes (body) VALUES (%s)", (outside,))
                    await c.commit()
            sent.clear()
            made.clear()
            value = await pg.write_plan(partial(counted_then_listed, made))
            runs.append((value, len(made), list(sent)))
        return runs

    (first, second, third) = asyncio.run(run())
    # Guessed on "no note" (what the writing plan read): it stops there, so it is made again
    # and runs without a guess.
    assert first == ((1, ["a"]), 2, [1, 1, loop_writes.COMMIT])
    # Guessed on one note, and one it is: both rounds in one round trip.
    assert second == ((1, ["a"]), 1, [2, loop_writes.COMMIT])
    # Guessed on one note, two there are: rolled back, made again, read again.
    assert third == ((2, ["a", "b"]), 2, [2, loop_writes.ROLLBACK, 1, 1, loop_writes.COMMIT])
