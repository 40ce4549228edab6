"""Fresh databases for tests: an SQLite file, or a new PostgreSQL database when
`OPENCALENDARS_TEST_DATABASE_URL` names a server to create it on."""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from opencalendars.db.database import Database

PG_ENV = "OPENCALENDARS_TEST_DATABASE_URL"


def postgres_server_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def libpq_dsn(url: str) -> str:
    """A SQLAlchemy URL of PostgreSQL as libpq (and psycopg itself) takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(False)


def postgres_dsn_or_skip(why: str) -> str:
    """The suite's PostgreSQL server as a libpq DSN; the test skips, saying `why` it needs one,
    when the suite runs on SQLite."""
    url = postgres_server_url()
    if url is None:
        pytest.skip(f"needs a PostgreSQL server in {PG_ENV} ({why})")
    return libpq_dsn(url)


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """A URL to an empty database that is dropped (PostgreSQL) when the block ends."""
    server = postgres_server_url()
    if server is None:
        yield f"sqlite:///{directory / f'oc-{secrets.token_hex(4)}.db'}"
        return
    name = f"oc_test_{secrets.token_hex(6)}"
    admin_dsn = libpq_dsn(server)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def notes_database(directory: Path) -> Iterator[Database]:
    """A fresh `Database` holding one table, `notes (body text PRIMARY KEY)`: for tests of how
    transactions end."""
    with fresh_database(directory) as url:
        db = Database(url)
        with db.write() as session:
            session.execute(text("CREATE TABLE notes (body text PRIMARY KEY)"))
        try:
            yield db
        finally:
            db.dispose()
