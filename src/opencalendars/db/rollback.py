"""A PostgreSQL transaction that is rolled back without a failed statement keeps its
connection's prepared statements.

psycopg forgets every statement it prepared on a connection whenever that connection rolls
back, and sends `DEALLOCATE ALL`: it cannot know whether a statement prepared inside a failed
transaction was ever created. Yet most of our rollbacks end transactions in which nothing failed
in the database: a booking refused because its slot is taken, a 404 or a 400 found after a
read. Each of those cost a round trip for `DEALLOCATE ALL`, then a parse of every statement
the connection ran next, and a fresh plan for each on its next five runs (PostgreSQL plans a
prepared statement anew on each of its first five runs before it may keep a generic plan);
a booking's statements were planned on almost every request (bench/RESULTS.md).

A prepared statement lives as long as the session whatever its transactions do, and psycopg
keeps a name only once the server has answered its statement; so when the transaction is
healthy (no statement failed, no pipeline open), the `ROLLBACK` is sent here, under the
driver, and the driver finds nothing left to roll back. A transaction in error is left to the
driver's own rollback.
"""

from contextlib import suppress

from psycopg import Connection, Error
from psycopg.pq import PipelineStatus, TransactionStatus
from sqlalchemy import Engine, event


def roll_back_keeping_statements(connection: Connection) -> None:
    """Rolls back a healthy transaction at the libpq level; anything else is left as it is."""
    pgconn = connection.pgconn
    if (
        pgconn.transaction_status != TransactionStatus.INTRANS
        or pgconn.pipeline_status != PipelineStatus.OFF
    ):
        return
    # Whatever happens here, the driver's rollback comes next: it finds an idle connection
    # and does nothing, or a transaction still open (or a broken connection) and handles it.
    with suppress(Error):
        pgconn.exec_(b"ROLLBACK")


def keep_statements_on_rollback(engine: Engine) -> None:
    """Every rollback of `engine`'s transactions goes through `roll_back_keeping_statements`."""

    @event.listens_for(engine, "rollback")
    def on_rollback(connection) -> None:
        # An invalidated connection (the database went away) has nothing to roll back here.
        if connection.invalidated or connection.closed:
            return
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is not None:
            roll_back_keeping_statements(dbapi_connection)
