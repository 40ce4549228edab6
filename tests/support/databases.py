"""Fresh databases for tests: an SQLite file, or a new PostgreSQL database when
`OPENCALENDARS_TEST_DATABASE_URL` names a server to create it on."""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

PG_ENV = "OPENCALENDARS_TEST_DATABASE_URL"


def postgres_server_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """A URL to an empty database that is dropped (PostgreSQL) when the block ends."""
    server = postgres_server_url()
    if server is None:
        yield f"sqlite:///{directory / f'oc-{secrets.token_hex(4)}.db'}"
        return
    name = f"oc_test_{secrets.token_hex(6)}"
    admin_dsn = make_url(server).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
