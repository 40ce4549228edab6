"""Pooled PostgreSQL connections that the server or a proxy dropped are replaced before a
request gets them, without a round trip for every checkout.

SQLAlchemy's pre-ping sends `SELECT 1` each time a connection leaves the pool: a round trip
of its own before every transaction (0.2-0.4 ms of a 6-8 ms booking on the benchmark machine,
bench/RESULTS.md). Here a connection is checked on this side of the socket instead:

- A server that shuts down, restarts, terminates the backend or times out an idle session
  sends its reason and closes the socket, and so does a proxy closing its side: the socket of
  an idle connection turns readable. An idle pooled connection has nothing to read (it does
  not `LISTEN`), so anything waiting on it means it is not fit for a new transaction; it is
  replaced. At worst a harmless message (a parameter change after a configuration reload)
  costs one reconnection.
- What leaves no trace on this side (a firewall or NAT forgetting an idle connection) only
  happens to connections idle for long; one idle for more than `PING_AFTER_IDLE_S` is pinged
  with `SELECT 1` as before. A busy server reuses its connections within milliseconds.

A connection found dead is reported as a disconnection: the pool discards it and checks out
another (a new one, when all are stale), as it did for a failed pre-ping.
"""

import select
import time

from psycopg import Connection, Error
from psycopg.pq import ConnStatus
from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

PING_AFTER_IDLE_S = 30.0
IDLE_SINCE = "opencalendars_idle_since"


def alive_here(connection: Connection) -> bool:
    """What this side of the socket knows: open, not broken, and nothing waiting to be read."""
    if connection.closed or connection.broken or connection.pgconn.status != ConnStatus.OK:
        return False
    readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
    return not readable


def answers_ping(connection: Connection) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Error:
        return False


def check_on_checkout(connection: Connection, idle_since: float | None, now: float) -> None:
    """Raises DisconnectionError for a connection that must not be handed out."""
    if not alive_here(connection):
        raise DisconnectionError("the database closed this connection")
    long_idle = idle_since is not None and now - idle_since > PING_AFTER_IDLE_S
    if long_idle and not answers_ping(connection):
        raise DisconnectionError("this connection no longer answers")


def watch_pool(engine: Engine) -> None:
    """Checks each PostgreSQL connection as it leaves `engine`'s pool (instead of pre-ping)."""

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection, record) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection, record, _proxy) -> None:
        # `pop`: a connection is idle from its checkin to its next checkout only.
        check_on_checkout(dbapi_connection, record.info.pop(IDLE_SINCE, None), time.monotonic())
