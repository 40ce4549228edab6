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
"""

from collections.abc import Sequence
from functools import partial
from typing import TypeVar

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Dialect

from opencalendars.db.batch import Fetch, Plan, Written, round_statements
from opencalendars.db.loop_connections import AsyncConnections
from opencalendars.db.pg_rounds import COMMIT, ROLLBACK, send_round

T = TypeVar("T")


async def run_write_plan(
    connections: AsyncConnections, dialect: Dialect, plan: Plan[Written[T]]
) -> T:
    """`plan` in one transaction on a connection of `connections` (at most `writers` at once:
    `AsyncConnections.writing`): its rounds, then its writes with the `COMMIT`. Returns its
    value once committed; whatever it raises, its transaction is ended first (nothing of it is
    written)."""
    async with connections.writing:
        return await _run(connections, dialect, plan)


async def _run(connections: AsyncConnections, dialect: Dialect, plan: Plan[Written[T]]) -> T:
    fetches, written = _next_round(plan, None)
    first = partial(_round, round_statements(dialect, fetches), begin=True)
    # A connection found dead before anything was sent is replaced (`take_for`), as for reads.
    connection, found = await connections.take_for(first)
    try:
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


def _next_round(
    plan: Plan[Written[T]], sent: list | None
) -> tuple[Sequence[Fetch], Written | None]:
    """The plan's next round, or (when it has finished) its `Written`."""
    try:
        return plan.send(sent), None
    except StopIteration as finished:
        return [], finished.value


async def _round(
    statements: list[tuple],
    connection: psycopg.AsyncConnection,
    *,
    begin: bool = False,
    commit: bool = False,
) -> list:
    """One round trip: `statements` (`round_statements`), with `BEGIN` ahead and `COMMIT`
    behind when asked; their shaped results (none for a round that commits: its statements are
    writes, their results unused)."""
    found = await send_round(
        connection,
        [sql_values for _, _, sql_values in statements],
        begin=begin,
        end=COMMIT if commit else None,
    )
    if commit:
        return []
    return [
        fetch.result(compiled.rows(rows))
        for (fetch, compiled, _), rows in zip(statements, found, strict=True)
    ]


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
