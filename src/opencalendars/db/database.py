"""Engines and transactions for SQLite (the embedded default) and PostgreSQL.

Services open their own transactions: `db.read()` for queries, `db.write()` for
changes. On SQLite a write transaction starts with `BEGIN IMMEDIATE`, which takes
the database's write lock up front, so concurrent writers from any number of
processes queue on `busy_timeout` instead of failing halfway with "database is locked".
"""

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from opencalendars.db.prepared import PreparedRead, hold_connection

SQLITE_BUSY_TIMEOUT_MS = 30_000
BEGIN_MODE = "opencalendars_begin"


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's `begin` event issue BEGIN itself (pysqlite's own is deferred-only).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit that was answered survives power loss, not only a process crash.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        mode = connection.get_execution_options().get(BEGIN_MODE, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


# A server process runs at most REQUEST_THREADS requests at once (see app.py). Python runs one
# thread at a time, so more threads mostly trade the GIL back and forth: with 32 connections on
# one worker, 4 threads served 17% more plain GETs than 16, and 2 threads 35% more (SQLite,
# docs/operations.md); more threads help only when requests wait on a distant database.
REQUEST_THREADS = int(os.environ.get("OPENCALENDARS_REQUEST_THREADS") or 4)
# Each request holds one connection at a time: the pool keeps them open (overflow connections
# are closed when given back, which costs a reconnect per request under load); the rest is for
# a delivery worker's threads (`serve --with-worker`) and the odd extra.
POOL_SIZE = REQUEST_THREADS + 4
POOL_OVERFLOW = 16


def create_db_engine(url: str) -> Engine:
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        return create_engine(
            url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_pre_ping=True
        )
    raise ValueError(f"unsupported database URL scheme: {make_url(url).drivername}")


class Database:
    def __init__(self, url: str):
        self.url = normalize_url(url)
        self.engine = create_db_engine(self.url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        write_engine = (
            self.engine.execution_options(**{BEGIN_MODE: "IMMEDIATE"})
            if self.is_sqlite
            else self.engine
        )
        self._writer = sessionmaker(write_engine, expire_on_commit=False)
        # SQLite has one writer at a time. Threads of this process wait their turn here, in
        # order; only other processes meet SQLite's busy handler, which polls with sleeps.
        self._write_turn = threading.Lock() if self.is_sqlite else nullcontext()

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            hold_connection(session)
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction that commits on success and rolls back on any exception."""
        with self._write_turn, self._writer() as session, session.begin():
            hold_connection(session)
            yield session

    def first_row(self, read: PreparedRead, parameters: dict) -> tuple | None:
        """A prepared read's first row on a pooled connection of its own: the lightest read
        there is (no ORM session, and on SQLite no transaction around a single statement).
        For hot paths such as auth."""
        return self._fetch(read, parameters, all_rows=False)

    def rows(self, read: PreparedRead, parameters: dict) -> list[tuple]:
        """A prepared read's rows, as lightly as `first_row`."""
        return self._fetch(read, parameters, all_rows=True)

    async def run_read(self, read: Callable[..., Any], *args: Any) -> Any:
        """Runs a short read, such as `first_row` or `rows`, for an async endpoint.

        On SQLite the read is a few microseconds of local file access in WAL mode, where
        readers never wait for writers: cheaper run right here than the hop to a worker thread
        and back, which costs more than the read. On PostgreSQL a read waits on the network,
        so it runs in a worker thread and the event loop serves other requests meanwhile."""
        if self.is_sqlite:
            return read(*args)
        return await run_in_threadpool(read, *args)

    def _fetch(self, read: PreparedRead, parameters: dict, all_rows: bool):
        compiled = read.compiled(self.engine.dialect)
        connection = self.engine.raw_connection()
        dbapi_connection = connection.dbapi_connection
        try:
            if self.is_sqlite:
                return compiled.fetch(dbapi_connection, parameters, all_rows)
            # One statement needs no transaction. In autocommit mode psycopg opens none, so
            # the pool's reset on return has no ROLLBACK to send: one round trip less.
            dbapi_connection.autocommit = True
            try:
                return compiled.fetch(dbapi_connection, parameters, all_rows)
            finally:
                dbapi_connection.autocommit = False
        finally:
            connection.close()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
