"""A round of statements on libpq's pipeline (db/pg_rounds.py): values read as psycopg reads
them, one round trip, errors raised as psycopg raises them with the connection left usable, and
a bounded number of statements prepared per connection."""

import asyncio
import json

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from opencalendars.db import pg_rounds
from opencalendars.db.pg_rounds import send_round
from support.databases import postgres_dsn_or_skip

VALUES = (
    "SELECT %(number)s::bigint, %(text)s::varchar, %(yes)s::boolean, %(nothing)s::varchar,"
    " %(names)s::varchar[], %(numbers)s::bigint[], %(text)s::json, CAST(%(text)s AS jsonb),"
    " 100 %% 7, %(number)s + 1"
)
ARGUMENTS = {
    "number": 2**40,
    "text": json.dumps({"a": [1, "b"]}),
    "yes": True,
    "nothing": None,
    "names": ["bo", "al"],
    "numbers": [1, 2**35],
}


@pytest.fixture
def dsn() -> str:
    return postgres_dsn_or_skip("libpq's pipeline is PostgreSQL's")


def on_connection(dsn: str, use) -> object:
    async def run():
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
            return await use(connection)

    return asyncio.run(run())


async def prepared_here(connection) -> list[str]:
    (found,) = await send_round(
        connection, [("SELECT name FROM pg_prepared_statements ORDER BY name", {})]
    )
    return [name for (name,) in found if name.startswith("oc_")]


def test_values_come_back_as_a_psycopg_cursor_reads_them_in_binary(dsn):
    async def use(connection):
        (ours,) = await send_round(connection, [(VALUES, ARGUMENTS)])
        cursor = await connection.execute(VALUES, ARGUMENTS, binary=True)
        return ours, await cursor.fetchall()

    ours, psycopgs = on_connection(dsn, use)
    assert ours == psycopgs
    assert ours[0][:4] == (2**40, ARGUMENTS["text"], True, None)
    assert ours[0][4:6] == (["bo", "al"], [1, 2**35])
    assert ours[0][6] == ours[0][7] == {"a": [1, "b"]}
    assert ours[0][8:] == (2, 2**40 + 1)


def test_a_round_is_one_round_trip_and_each_statement_is_prepared_once(dsn):
    statements = [("SELECT %(n)s::int * 2", {"n": n}) for n in range(5)]

    async def use(connection):
        first = await send_round(connection, statements)
        again = await send_round(connection, statements)
        return first, again, await prepared_here(connection)

    first, again, prepared = on_connection(dsn, use)
    assert first == again == [[(n * 2,)] for n in range(5)]
    # The same statement five times in a round, twice: prepared once, with the one for
    # pg_prepared_statements itself.
    assert len(prepared) == 2


def test_a_failed_statement_raises_its_error_and_the_connection_serves_on(dsn):
    round_ = [
        ("SELECT %(n)s::int", {"n": 1}),
        ("SELECT 1 / %(zero)s::int", {"zero": 0}),
        ("SELECT %(n)s::int + 100", {"n": 2}),  # after the failure: not run, not prepared
    ]

    async def use(connection):
        with pytest.raises(psycopg.errors.DivisionByZero):
            await send_round(connection, round_)
        status = connection.pgconn.transaction_status
        return status, await send_round(connection, round_[:1] + round_[2:])

    status, after = on_connection(dsn, use)
    assert status == TransactionStatus.IDLE
    assert after == [[(1,)], [(102,)]]


def test_a_failed_write_in_a_transaction_leaves_it_failed_and_writes_nothing(dsn):
    async def use(connection):
        await connection.execute("CREATE TEMPORARY TABLE notes (body text PRIMARY KEY)")
        write = "INSERT INTO notes (body) VALUES (%(body)s) RETURNING body"
        await send_round(connection, [(write, {"body": "a"})], begin=True, end=pg_rounds.COMMIT)
        with pytest.raises(psycopg.errors.UniqueViolation):
            await send_round(
                connection,
                [(write, {"body": "b"}), (write, {"body": "a"})],
                begin=True,
                end=pg_rounds.COMMIT,
            )
        failed = connection.pgconn.transaction_status
        await connection.rollback()
        (rows,) = await send_round(connection, [("SELECT body FROM notes ORDER BY body", {})])
        return failed, rows

    failed, rows = on_connection(dsn, use)
    assert failed == TransactionStatus.INERROR
    assert rows == [("a",)]


def test_a_value_that_cannot_be_sent_fails_before_anything_is_sent(dsn):
    async def use(connection):
        with pytest.raises(psycopg.ProgrammingError):
            await send_round(
                connection,
                [("SELECT %(n)s::int", {"n": 1}), ("SELECT %(what)s", {"what": object()})],
                begin=True,
            )
        status = connection.pgconn.transaction_status
        return status, await send_round(connection, [("SELECT %(n)s::int", {"n": 3})])

    status, after = on_connection(dsn, use)
    assert status == TransactionStatus.IDLE  # not even the BEGIN went out
    assert after == [[(3,)]]


def test_a_connection_keeps_at_most_max_prepared_statements(dsn, monkeypatch):
    monkeypatch.setattr(pg_rounds, "MAX_PREPARED", 4)

    async def use(connection):
        answers = []
        for n in range(10):
            (rows,) = await send_round(connection, [(f"SELECT {n} + %(n)s::int", {"n": n})])
            answers.append(rows)
        return answers, await prepared_here(connection)

    answers, prepared = on_connection(dsn, use)
    assert answers == [[(2 * n,)] for n in range(10)]
    assert len(prepared) <= 4


def test_a_connection_the_server_ended_raises_an_operational_error(dsn):
    async def use(connection):
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (connection.info.backend_pid,))
        await asyncio.sleep(0.1)
        with pytest.raises(psycopg.OperationalError):
            await send_round(connection, [("SELECT %(n)s::int", {"n": 1})])

    on_connection(dsn, use)
