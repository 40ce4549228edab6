"""A database that does not answer is a 503 with `Retry-After`, not a 500.

Only failures of the connection itself count: the server refusing or dropping connections,
shutting down, out of connection slots, or an SQLite file that cannot be opened or read. Any
other database error is a bug and stays a 500. The pool replaces dropped connections
(db/liveness.py on PostgreSQL), so requests succeed again by themselves once the database is
back.
"""

import logging
import sqlite3

import psycopg
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request

from opencalendars.errors import envelope
from opencalendars.http.json import JsonResponse

log = logging.getLogger("opencalendars")

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = "The database is not available, try again later"

# SQLSTATEs of a server that cannot be reached or is going away: class 08 (connection
# exception), admin and crash shutdown, "cannot connect now" (starting up), too many connections.
# psycopg's own connection failures (refused, closed, lost) carry no SQLSTATE at all.
UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
# SQLite's primary result codes for a database file that cannot be opened, or read or written.
UNREACHABLE_SQLITE_CODES = (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR)


def is_unreachable(error: BaseException) -> bool:
    """True for a failure to reach the database, raised by SQLAlchemy or by the DBAPI itself
    (the prepared reads run on the DBAPI cursor, see db/prepared.py)."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if isinstance(error, psycopg.OperationalError):
        return error.sqlstate is None or error.sqlstate.startswith(UNREACHABLE_SQLSTATES)
    if isinstance(error, sqlite3.OperationalError):
        # Set by SQLite's own errors; the module's own (a closed connection) have no code.
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in UNREACHABLE_SQLITE_CODES
    return False


async def database_error(_request: Request, exc: Exception) -> JsonResponse:
    """Registered for database errors. Anything but an unreachable database is raised again,
    on to the 500 handler. Async: when the database hangs, the request threads may all be
    waiting on it, and this answer must not wait for one."""
    if not is_unreachable(exc):
        raise exc
    # The driver's reason, without the statement SQLAlchemy adds to its message.
    log.warning("database unavailable: %s", getattr(exc, "orig", None) or exc)
    return JsonResponse(
        envelope(503, UNAVAILABLE),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
