"""Reads in rounds: a request's independent reads sent together, one round trip per round.

Free slots and every booking read the same busy picture: a calendar, the server clock, the
members' schedules, their appointments, series, service bookings, blocks and synced busy time.
Run one after another, as they used to be, that is a round trip each (twelve for a free-slots
request on PostgreSQL, counting the pool's pre-ping, `BEGIN` and `COMMIT`: bench/RESULTS.md),
and a round trip to a database on another host costs more than the read itself. Most of them
depend only on the calendar row, so they can all be sent at once.

A read that wants several statements is written as a *plan*: a generator that yields the list
of `Fetch`es it needs next, receives their results in the same order, and returns its value.
`together` runs plans side by side, each round's fetches of all of them in one batch; a driver
runs a plan's rounds: `run_plan` inside a session's transaction (PostgreSQL: psycopg's pipeline
mode, one round trip a round; SQLite: one statement after another, each a few microseconds of
local file access), `Database.run_plan` for an async endpoint (PostgreSQL: the event loop's own
connection, pipelined the same way).
"""

from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy import Dialect
from sqlalchemy.orm import Session

from opencalendars.db.prepared import CompiledRead, PreparedRead, session_connection
from opencalendars.db.read_cache import VersionRows

T = TypeVar("T")


def _as_read(rows: Any) -> Any:
    return rows


@dataclass(frozen=True)
class Fetch:
    """One statement of a round: a prepared read, its parameters, whether the first row (`one`)
    or all rows are wanted, and `shape`, what the plan receives made of them. `sqlite`, when
    given, is the fetch to run on SQLite instead (a statement that suits it better, with its
    own shape): the plan receives the same value either way."""

    read: PreparedRead
    parameters: dict
    one: bool = False
    shape: Callable[[Any], Any] = _as_read
    sqlite: "Fetch | None" = None

    def on(self, dialect: Dialect) -> "Fetch":
        return self.sqlite if self.sqlite is not None and dialect.name == "sqlite" else self

    def result(self, rows: list) -> Any:
        """What the plan receives, made of the rows read (each as its read makes them)."""
        if self.one:
            return self.shape(rows[0] if rows else None)
        return self.shape(rows)


# A plan: yields the fetches of a round, is sent their shaped results, returns its value.
Plan = Generator[Sequence[Fetch], list, T]


# Set while a plan runs on rows guessed from an earlier run (db/loop_writes.py), not read in its
# own transaction yet: what it decides then may be thrown away, and it is run again from the
# start.
_ON_A_GUESS: ContextVar[bool] = ContextVar("opencalendars_plan_on_a_guess", default=False)


@contextmanager
def running_on_a_guess() -> Iterator[None]:
    token = _ON_A_GUESS.set(True)
    try:
        yield
    finally:
        _ON_A_GUESS.reset(token)


def on_a_guess() -> bool:
    """Whether the plan running now runs on guessed rows: it must then keep no trace of what
    it decides (a refusal is not counted; the run that refuses for real counts it)."""
    return _ON_A_GUESS.get()


@dataclass(frozen=True)
class Written(Generic[T]):
    """What a *write plan* returns: its value, and the statements that write it (RETURNING
    rows, their results unused). A write plan's rounds only read, under the locks it takes;
    its writes go out last, after its checks: on PostgreSQL in the pipeline that commits them
    (`Database.write_plan`), so a plan that refuses has written nothing."""

    value: T
    writes: list[Fetch]


def done(value: T) -> Plan[T]:
    """A plan that needs no read: `value` as it is."""
    return value
    yield  # a generator function: the `return` above is its value


def single(fetch: Fetch) -> Plan:
    """A plan of one fetch: its result."""
    (found,) = yield [fetch]
    return found


def after(first: Sequence[Fetch], plan: Plan[T]) -> Plan[T]:
    """`plan`, with `first` sent ahead of its first round, in the same batch (their results
    are not the plan's business): the booking locks ahead of the reads they guard."""
    try:
        fetches = plan.send(None)
    except StopIteration as finished:
        if first:
            yield list(first)
        return finished.value
    found = yield [*first, *fetches]
    return (yield from _resume(plan, found[len(first) :]))


def _resume(plan: Plan[T], sent: list) -> Plan[T]:
    """A started plan run on from the results of the round it last yielded."""
    try:
        fetches = plan.send(sent)
        while True:
            fetches = plan.send((yield fetches))
    except StopIteration as finished:
        return finished.value


def together(*plans: Plan) -> Plan[tuple]:
    """The plans run side by side: each round, the fetches of every plan still running go out
    in one batch. Returns their values, in order."""
    values: list[Any] = [None] * len(plans)
    waiting: dict[int, Sequence[Fetch]] = {}

    def step(index: int, sent: list | None) -> None:
        try:
            waiting[index] = plans[index].send(sent)
        except StopIteration as finished:
            values[index] = finished.value

    for index in range(len(plans)):
        step(index, None)
    while waiting:
        round_ = list(waiting.items())
        waiting.clear()
        found = yield [fetch for _, fetches in round_ for fetch in fetches]
        at = 0
        for index, fetches in round_:
            step(index, found[at : at + len(fetches)])
            at += len(fetches)
    return tuple(values)


def drive(plan: Plan[T], fetch_round: Callable[[Sequence[Fetch]], list]) -> T:
    """Runs a plan to its value, each round's fetches through `fetch_round`."""
    try:
        fetches = plan.send(None)
        while True:
            fetches = plan.send(fetch_round(fetches))
    except StopIteration as finished:
        return finished.value


def run_plan(session: Session, plan: Plan[T]) -> T:
    """A plan run inside the session's transaction (its snapshot and its locks)."""
    dialect, dbapi_connection = session_connection(session)
    return drive(plan, lambda fetches: fetch_round(dialect, dbapi_connection, fetches))


def run_written(session: Session, plan: Plan[Written[T]]) -> T:
    """A write plan run inside the session's transaction: its reads, then its writes."""
    written = run_plan(session, plan)
    run_statements(session, written.writes)
    return written.value


def run_statements(session: Session, fetches: Sequence[Fetch]) -> None:
    """`fetches` run in one round inside the session's transaction, their results unused (the
    booking locks, a new appointment's rows); nothing is sent when there are none."""
    run_plan(session, after(fetches, done(None)))


def fetch_round(
    dialect: Dialect,
    dbapi_connection: Any,
    fetches: Sequence[Fetch],
    *,
    cached: VersionRows | None = None,
) -> list:
    """The shaped results of one round's fetches on a DBAPI connection: pipelined on
    PostgreSQL (every statement sent, then every result read: one round trip), with results in
    binary: the driver reads a number or an array as it is stored instead of parsing its text
    (2,000 busy spans: 2.9 -> 2.1 ms, bench/RESULTS.md). Values come out the same either way.
    `cached` holds the rows of statements read before at the same versions of their tables
    (db/read_cache.py): those are not sent, and the rows of those that are, are kept there."""
    statements = round_statements(dialect, fetches)
    if not statements:
        return []
    if dialect.name == "sqlite":
        # A statement is a few microseconds of local file access: one after another.
        return [
            fetch.result(
                compiled.rows(_rows_of(dbapi_connection, compiled, sql_values, cached=cached))
            )
            for fetch, compiled, sql_values in statements
        ]
    found = rows_kept(statements, cached)
    unread = [sql_values for (_, _, sql_values), rows in found if rows is None]
    if unread:
        keep_read(found, _pipelined(dbapi_connection, unread), cached)
    return [fetch.result(compiled.rows(rows)) for (fetch, compiled, _), rows in found]


def rows_kept(statements: list[tuple], cached: VersionRows | None) -> list[list]:
    """Each of a round's statements (`round_statements`) with its rows kept in `cached` (None
    where there are none: it is to be read)."""
    found = []
    for statement in statements:
        _, compiled, (sql, values) = statement
        rows = None if cached is None else cached.cached(sql, values, tables=compiled.tables)
        found.append([statement, rows])
    return found


def keep_read(found: list[list], read: list[list[tuple]], cached: VersionRows | None) -> None:
    """The rows `read` for the statements of `found` (`rows_kept`) that had none, in order, put
    in their place and kept in `cached`."""
    unread = iter(read)
    for item in found:
        (_, compiled, (sql, values)), rows = item
        if rows is None:
            item[1] = next(unread)
            if cached is not None:
                cached.keep(sql, values, item[1], tables=compiled.tables)


def _pipelined(dbapi_connection: Any, statements: list[tuple[str, dict]]) -> list[list[tuple]]:
    """Every statement sent, then every result read: one round trip (PostgreSQL)."""
    cursors = []
    try:
        with dbapi_connection.pipeline():
            for sql, values in statements:
                cursors.append(dbapi_connection.cursor(binary=True))
                cursors[-1].execute(sql, values)
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _rows_of(
    dbapi_connection: Any,
    compiled: CompiledRead,
    sql_values: tuple[str, tuple | dict],
    *,
    cached: VersionRows | None,
) -> list[tuple]:
    sql, values = sql_values
    if cached is None:
        return _all_rows(dbapi_connection, sql, values)
    read = partial(_all_rows, dbapi_connection, sql, values)
    return cached.rows(sql, values, read, tables=compiled.tables)


def _all_rows(dbapi_connection: Any, sql: str, values: tuple | dict) -> list[tuple]:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql, values)
        return cursor.fetchall()
    finally:
        cursor.close()


def round_statements(dialect: Dialect, fetches: Sequence[Fetch]) -> list[tuple]:
    """`(fetch, compiled read, (sql, values))` for each fetch of a round, in the form this
    dialect runs."""
    statements = []
    for fetch in fetches:
        chosen = fetch.on(dialect)
        compiled = chosen.read.compiled(dialect)
        statements.append((chosen, compiled, compiled.sql_and_parameters(chosen.parameters)))
    return statements
