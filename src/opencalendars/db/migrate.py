"""Bring a database's schema to the newest revision, safely from several processes at once.

Several server processes may start together against one database. On PostgreSQL a
session-level advisory lock lets one of them migrate while the others wait; on
SQLite an exclusive lock on a file beside the database (`filelock`: `flock` on Unix,
`msvcrt.locking` on Windows) does the same.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy import Connection, text

from opencalendars.db.database import Database, DatabaseStartError, shown_url, sqlite_path

# An arbitrary constant shared by every OpenCalendars process: the migration lock's key.
PG_MIGRATION_LOCK_KEY = 7_246_301_925


class MigrationFailed(DatabaseStartError):
    """The schema could not be brought to the newest revision."""


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("opencalendars.db") / "migrations")
    )
    config.attributes["connection"] = connection
    return config


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    return scripts().get_current_head()


def revision_name(revision: str) -> str:
    """`0001` -> `0001_foundation`: the revision's file name."""
    return Path(scripts().get_revision(revision).path).stem


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with FileLock(path.with_name(path.name + ".migrate.lock")):
        yield


@contextmanager
def _pg_lock(connection: Connection) -> Iterator[None]:
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_MIGRATION_LOCK_KEY})
    connection.commit()
    try:
        yield
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_MIGRATION_LOCK_KEY})
        connection.commit()


def _pending(connection: Connection) -> list[str]:
    """The revisions from the database's current one (exclusive) to the newest, oldest first."""
    current = MigrationContext.configure(connection).get_current_revision()
    connection.rollback()  # the read's transaction: Alembic begins and commits its own
    return [
        script.revision for script in reversed(list(scripts().iterate_revisions("head", current)))
    ]


def first_line(error: BaseException) -> str:
    """An error's message on one line (psycopg's span several), without SQLAlchemy's
    `(Background on this error at ...)` tail."""
    cause = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def upgrade(db: Database) -> list[str]:
    """Migrates to the newest revision; the ids of the revisions applied, oldest first (none
    when the schema was up to date). `DatabaseStartError` when the database cannot be reached,
    `MigrationFailed` when a revision cannot be applied."""
    try:
        connection = db.engine.connect()
    except Exception as error:
        raise DatabaseStartError(
            f"cannot connect to the database {shown_url(db.url)}: {first_line(error)}"
        ) from error
    with connection:
        try:
            lock = _file_lock(sqlite_path(db.url)) if db.is_sqlite else _pg_lock(connection)
            with lock:
                applied = _pending(connection)
                command.upgrade(alembic_config(connection), "head")
                connection.commit()
        except Exception as error:
            raise MigrationFailed(
                f"cannot migrate the database {shown_url(db.url)}: {first_line(error)}"
            ) from error
    return applied
