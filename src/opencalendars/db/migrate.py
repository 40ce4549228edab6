"""Bring a database's schema to the newest revision, safely from several processes at once.

Several server processes may start together against one database. On PostgreSQL a
session-level advisory lock lets one of them migrate while the others wait; on
SQLite an exclusive lock on a file beside the database does the same.
"""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from opencalendars.db.database import Database, sqlite_path

# An arbitrary constant shared by every OpenCalendars process: the migration lock's key.
PG_MIGRATION_LOCK_KEY = 7_246_301_925


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("opencalendars.db") / "migrations")
    )
    config.attributes["connection"] = connection
    return config


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".migrate.lock")
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _pg_lock(connection: Connection) -> Iterator[None]:
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_MIGRATION_LOCK_KEY})
    connection.commit()
    try:
        yield
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_MIGRATION_LOCK_KEY})
        connection.commit()


def upgrade(db: Database) -> None:
    with db.engine.connect() as connection:
        if db.is_sqlite:
            path = sqlite_path(db.url)
            lock = _file_lock(path) if path is not None else _no_lock()
        else:
            lock = _pg_lock(connection)
        with lock:
            command.upgrade(alembic_config(connection), "head")
            connection.commit()


@contextmanager
def _no_lock() -> Iterator[None]:
    yield
