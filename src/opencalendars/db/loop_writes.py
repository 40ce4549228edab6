"""Write plans on PostgreSQL, right in the event loop: a booking's transaction with no worker
thread, no ORM session and no round trip of its own for `BEGIN` or `COMMIT`.

A booking run through a session in a worker thread paid, beside its statements, the hop to the
thread and back, the session's and the pool's machinery, and a round trip for its `COMMIT`
(bench/RESULTS.md). A *write plan* (db/batch.py, `Written`) reads in rounds under the locks it
takes and returns its writes; here its rounds are pipelined on one of the event loop's own
connections (db/loop_connections.py) as `Database.run_plan` pipelines reads: `BEGIN` goes out
with the first round, and the writes go out with the `COMMIT`, in one round trip.

Rounds go out through db/pg_rounds.py, straight on libpq's pipeline. A plan that raised (a
booking refused: its slot was taken; a failed statement) has its transaction ended with a
`ROLLBACK` sent the same way, which keeps the connection's prepared statements (psycopg's own
rollback would answer it with `DEALLOCATE ALL`: db/pg_rounds.py); a connection in an unknown
state (cancelled mid-round, gone) is closed, which ends its transaction on the server.

A plan's first round reads what decides the rest (a booking: its calendar, the location's
longest buffer, the clock), and those rarely change from one booking to the next. When each of
its statements has been read before, the plan runs on those rows first (*a guess*), and its
second round goes out with its first, in one round trip. The rows the first round reads then
are compared with the guess: the same, and the plan carries on as if it had waited for them
(it has made the same decisions from the same rows, and its second round ran after its first,
in the same transaction); otherwise the transaction is rolled back, the plan is thrown away and
made again, and it runs as it would have without the guess. While it runs on a guess a plan
keeps no trace of what it decides (`db.batch.on_a_guess`); one that refuses on a guess is run
again without it, and refuses (and is counted) only then.
"""

import pickle
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from functools import partial
from typing import TypeVar

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Dialect

from opencalendars.db.batch import Fetch, Plan, Written, round_statements, running_on_a_guess
from opencalendars.db.loop_connections import AsyncConnections
from opencalendars.db.pg_rounds import COMMIT, ROLLBACK, send_round
from opencalendars.db.read_cache import statement_key

T = TypeVar("T")

# The rows kept to guess first rounds with, per event loop, pickled: a booking keeps three
# statements' of each calendar it books (a few KB). Least recently used go first.
MAX_GUESS_BYTES = 4 * 1024 * 1024
MAX_GUESSED_STATEMENT_BYTES = 64 * 1024
# What an entry costs beside its rows (its key: the statement's parameters, the dict's slot):
# counted, so that many statements that read nothing (bookings of calendar ids that do not exist)
# cannot hold more than their bytes say.
ENTRY_BYTES = 512


class FirstRounds:
    """What the first rounds of write plans read last, statement by statement: their rows,
    pickled, so that a plan run on them gets copies of its own and cannot change what the next
    read is compared with."""

    def __init__(self, max_bytes: int = MAX_GUESS_BYTES) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._rows: OrderedDict[Hashable, bytes] = OrderedDict()

    def guess(self, statements: list[tuple]) -> list[bytes] | None:
        """What each of `statements` (`round_statements`) read last, or None when one of them
        has not been read (or cannot be told from others by its parameters)."""
        guessed = []
        for _, _, sql_values in statements:
            key = statement_key(*sql_values)
            rows = None if key is None else self._rows.get(key)
            if rows is None:
                return None
            self._rows.move_to_end(key)
            guessed.append(rows)
        return guessed

    def remember(self, statements: list[tuple], rows: list[list[tuple]]) -> list[bytes | None]:
        """Keeps what `statements` read (`rows`), and returns it in the form `guess` returns."""
        read = []
        for (_, _, sql_values), found in zip(statements, rows, strict=True):
            pickled = _pickled(found)
            read.append(pickled)
            key = statement_key(*sql_values)
            if key is None or pickled is None or len(pickled) > MAX_GUESSED_STATEMENT_BYTES:
                continue
            old = self._rows.pop(key, None)
            self._bytes += _weight(pickled) - (0 if old is None else _weight(old))
            self._rows[key] = pickled
        while self._bytes > self._max_bytes:
            self._bytes -= _weight(self._rows.popitem(last=False)[1])
        return read


def _weight(pickled: bytes) -> int:
    return ENTRY_BYTES + len(pickled)


def _pickled(rows: list[tuple]) -> bytes | None:
    try:
        return pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        # A value pickle cannot take (it raises one of several errors for as many reasons):
        # never guessed.
        return None


_first_rounds: "weakref.WeakKeyDictionary[AsyncConnections, FirstRounds]" = (
    weakref.WeakKeyDictionary()
)


def first_rounds(connections: AsyncConnections) -> FirstRounds:
    """The first rounds' rows kept for the event loop these connections belong to."""
    kept = _first_rounds.get(connections)
    if kept is None:
        kept = _first_rounds[connections] = FirstRounds()
    return kept


async def run_write_plan(
    connections: AsyncConnections, dialect: Dialect, make_plan: Callable[[], Plan[Written[T]]]
) -> T:
    """The plan `make_plan()` makes, in one transaction on a connection of `connections` (at
    most `writers` at once: `AsyncConnections.writing`): its rounds, then its writes with the
    `COMMIT`. Returns its value once committed; whatever it raises, its transaction is ended
    first (nothing of it is written). `make_plan` is called again when a plan run on a guess
    has to be thrown away: it makes the same plan each time."""
    async with connections.writing:
        return await _run(connections, dialect, make_plan)


async def _run(
    connections: AsyncConnections, dialect: Dialect, make_plan: Callable[[], Plan[Written[T]]]
) -> T:
    kept = first_rounds(connections)
    plan, first, written = _started(make_plan, dialect)
    guessed = kept.guess(first) if written is None else None
    second = (
        None
        if guessed is None
        else _second_on_a_guess(plan, first, guessed=guessed, dialect=dialect)
    )
    if guessed is not None and second is None:
        # It stopped on the guess (refused, or reads nothing more): it runs again on what is read.
        plan, first, written = _started(make_plan, dialect)
    sent = first if second is None else [*first, *second]
    # A connection found dead before anything was sent is replaced (`take_for`), as for reads.
    connection, rows = await connections.take_for(partial(_send, sent, begin=True))
    try:
        read = kept.remember(first, rows[: len(first)])
        if second is None:
            found = _shaped(first, rows)
        elif read == guessed:
            found = _shaped(second, rows[len(first) :])
        else:
            # Read otherwise than guessed (the calendar changed, say): nothing of the guess stays.
            plan.close()
            await send_round(connection, [], end=ROLLBACK)
            plan, first, written = _started(make_plan, dialect)
            rows = await _send(first, connection, begin=True)
            kept.remember(first, rows)
            found = _shaped(first, rows)
        while written is None:
            fetches, written = _next_round(plan, found)
            if written is None:
                found = await _round(round_statements(dialect, fetches), connection)
        # Every statement is rendered before the pipeline opens: nothing between the first
        # write sent and the `COMMIT` can fail in Python.
        writes = round_statements(dialect, written.writes)
        await _round(writes, connection, commit=True)
    except BaseException:
        await _end(connections, connection)
        raise
    connections.give_back(connection)
    return written.value


def _started(
    make_plan: Callable[[], Plan[Written[T]]], dialect: Dialect
) -> tuple[Plan[Written[T]], list[tuple], Written | None]:
    """A new plan, its first round's statements, and its `Written` when it reads nothing."""
    plan = make_plan()
    fetches, written = _next_round(plan, None)
    return plan, round_statements(dialect, fetches), written


def _second_on_a_guess(
    plan: Plan[Written[T]], first: list[tuple], *, guessed: list[bytes], dialect: Dialect
) -> list[tuple] | None:
    """The statements of the plan's second round, as it asks for them when its first round
    reads `guessed`; None when it stops there instead (it refused or failed on rows that may
    not be today's, or has nothing more to read): it is then not to be used again."""
    with running_on_a_guess():
        try:
            # Pickled here, by `FirstRounds.remember`: never anything from outside.
            rows = [pickle.loads(pickled) for pickled in guessed]
            fetches, written = _next_round(plan, _shaped(first, rows))
            return None if written is not None else round_statements(dialect, fetches)
        except Exception:
            # The run that reads its first round decides.
            return None


def _next_round(
    plan: Plan[Written[T]], sent: list | None
) -> tuple[Sequence[Fetch], Written | None]:
    """The plan's next round, or (when it has finished) its `Written`."""
    try:
        return plan.send(sent), None
    except StopIteration as finished:
        return [], finished.value


async def _send(
    statements: list[tuple], connection: psycopg.AsyncConnection, *, begin: bool = False
) -> list[list[tuple]]:
    """One round trip: `statements` (`round_statements`), with `BEGIN` ahead when asked; the
    rows each read, as read."""
    return await send_round(
        connection, [sql_values for _, _, sql_values in statements], begin=begin
    )


def _shaped(statements: list[tuple], rows: list[list[tuple]]) -> list:
    """What the plan receives of `rows`, read by `statements`."""
    return [
        fetch.result(compiled.rows(read))
        for (fetch, compiled, _), read in zip(statements, rows, strict=True)
    ]


async def _round(
    statements: list[tuple], connection: psycopg.AsyncConnection, *, commit: bool = False
) -> list:
    """One round trip: `statements`, with `COMMIT` behind when asked; their shaped results
    (none for a round that commits: its statements are writes, their results unused)."""
    found = await send_round(
        connection,
        [sql_values for _, _, sql_values in statements],
        end=COMMIT if commit else None,
    )
    return [] if commit else _shaped(statements, found)


async def _end(connections: AsyncConnections, connection: psycopg.AsyncConnection) -> None:
    """Ends the transaction of a plan that raised, and gives its connection back (or closes it
    when its state cannot be known)."""
    status = connection.pgconn.transaction_status
    if status == TransactionStatus.IDLE:
        connections.give_back(connection)
        return
    if status not in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        await connections.drop(connection)  # mid-round, or gone
        return
    try:
        await send_round(connection, [], end=ROLLBACK)
    except BaseException:
        await connections.drop(connection)
        return
    connections.give_back(connection)
