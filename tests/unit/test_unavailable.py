"""Which database errors mean "the database is not there" (503) and which are bugs (500)."""

import sqlite3

import psycopg
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from opencalendars.http.unavailable import is_unreachable


def sqlite_error(path: str) -> sqlite3.Error:
    try:
        sqlite3.connect(path).execute("SELECT * FROM nowhere")
    except sqlite3.Error as error:
        return error
    raise AssertionError("no error")


def wrapped(error: Exception, cls=OperationalError) -> Exception:
    """As SQLAlchemy raises a driver's error."""
    return cls("SELECT 1", {}, error)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection failed: Connection refused"),
        psycopg.OperationalError("server closed the connection unexpectedly"),
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        psycopg.errors.CannotConnectNow("the database system is starting up"),
        psycopg.errors.TooManyConnections("sorry, too many clients already"),
        wrapped(psycopg.OperationalError("consuming input failed")),
        wrapped(psycopg.errors.ConnectionFailure("connection failure")),
        sqlite_error("/nonexistent/directory/oc.db"),
        wrapped(sqlite_error("/nonexistent/directory/oc.db")),
    ],
    ids=repr,
)
def test_connection_failures_are_unavailable(error):
    assert is_unreachable(error)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.QueryCanceled("canceling statement due to statement timeout"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.UniqueViolation("duplicate key value"),
        psycopg.errors.UndefinedTable("relation does not exist"),
        wrapped(psycopg.errors.UniqueViolation("duplicate key value"), IntegrityError),
        wrapped(psycopg.errors.UndefinedColumn("column does not exist"), ProgrammingError),
        sqlite_error(":memory:"),
        wrapped(sqlite3.OperationalError("database is locked")),
        ValueError("not a database error"),
    ],
    ids=repr,
)
def test_other_database_errors_are_bugs(error):
    assert not is_unreachable(error)
