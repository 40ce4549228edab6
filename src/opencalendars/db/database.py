"""Engines and transactions for SQLite (the embedded default) and PostgreSQL.

Services open their own transactions: `db.read()` for queries, `db.write()` for
changes. On SQLite a write transaction starts with `BEGIN IMMEDIATE`, which takes
the database's write lock up front, so concurrent writers from any number of
processes queue on `busy_timeout` instead of failing halfway with "database is locked".
"""

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from opencalendars.db.batch import (
    Fetch,
    Plan,
    Written,
    drive,
    fetch_round,
    keep_read,
    round_statements,
    rows_kept,
    run_plan,
    run_written,
)
from opencalendars.db.liveness import watch_pool
from opencalendars.db.location_versions import LOCATION_VERSION, TableVersions
from opencalendars.db.loop_connections import LoopConnections
from opencalendars.db.loop_writes import run_write_plan
from opencalendars.db.pg_rounds import send_round
from opencalendars.db.prepared import (
    CompiledRead,
    PreparedRead,
    hold_connection,
    session_connection,
)
from opencalendars.db.read_cache import ReadCache, VersionRows
from opencalendars.db.rollback import keep_statements_on_rollback

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
BEGIN_MODE = "opencalendars_begin"
# A PostgreSQL server that does not answer fails a connection attempt after this long (unless
# the URL says `connect_timeout` itself): a process refuses to start in seconds, not minutes.
CONNECT_TIMEOUT_S = 5
PREPARE_THRESHOLD = 0
SUPPORTED_DATABASES = (("sqlite", "pysqlite"), ("postgresql", "psycopg"))
DATABASE_URL_FORMS = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
IN_MEMORY = (
    "an in-memory SQLite database, which every connection of a server would see as a database of"
    " its own, empty: use sqlite:///PATH (a file in a temporary directory for a throwaway one)"
)


class DatabaseStartError(Exception):
    """A database a process cannot start with: a URL of an unknown kind, a server that does not
    answer, a file that cannot be opened, a migration that fails. The message is one line for
    the operator (`opencalendars` prints it and exits with status 2)."""


class DatabaseUrlError(DatabaseStartError, ValueError):
    """A database URL that names no database OpenCalendars can use."""


class InMemoryDatabaseError(DatabaseUrlError):
    """An SQLite database in memory: each pooled connection would open one of its own."""


def mask_url(url: str) -> str:
    """`url` with the password of its `user:password@` part replaced by `***`."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    authority = re.split(r"[?#]", rest, maxsplit=1)[0]
    userinfo, at, _ = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{rest[len(userinfo) + 1 :]}"


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def shown_url(url: str) -> str:
    """A database URL for messages: as the operator writes it (`postgresql://`), the password
    masked."""
    prefix = "postgresql+psycopg://"
    if url.startswith(prefix):
        url = "postgresql://" + url[len(prefix) :]
    return mask_url(url)


def check_database_url(url: str) -> URL:
    """The parsed URL of an SQLite or a PostgreSQL (psycopg 3) database; `DatabaseUrlError`
    for anything else."""
    try:
        parsed = make_url(normalize_url(url))
        kind = (parsed.get_backend_name(), parsed.get_driver_name())
    except Exception:  # not a URL at all, or a dialect SQLAlchemy does not know
        kind = None
    if kind not in SUPPORTED_DATABASES:
        raise DatabaseUrlError(
            f"the database URL {mask_url(url)!r} is not supported: use {DATABASE_URL_FORMS}"
        )
    if kind[0] == "sqlite" and _in_memory(parsed):
        raise InMemoryDatabaseError(
            f"the database URL {mask_url(url)!r} is not supported: {IN_MEMORY}"
        )
    return parsed


def _in_memory(parsed: URL) -> bool:
    """`sqlite://`, `sqlite:///:memory:`, and URI forms such as `file::memory:?uri=true` or
    `file:x?mode=memory&uri=true`."""
    return (
        not parsed.database or ":memory:" in parsed.database or parsed.query.get("mode") == "memory"
    )


def libpq_conninfo(url: str) -> str:
    """A PostgreSQL URL as libpq (psycopg itself) takes it, without SQLAlchemy's driver name,
    with the engine's connect timeout unless the URL sets its own."""
    parsed = make_url(normalize_url(url)).set(drivername="postgresql")
    if "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    return parsed.render_as_string(False)


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite database (`check_database_url` refuses one in memory); None for
    PostgreSQL."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite":
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


# A server process runs at most `OPENCALENDARS_REQUEST_THREADS` requests at once (settings.py,
# app.py). Python runs one thread at a time, so more threads mostly trade the GIL back and forth:
# with 32 connections on one worker, 4 threads served 17% more plain GETs than 16, and 2 threads
# 35% more (SQLite, docs/operations.md); more threads help only when requests wait on a distant
# database.
DEFAULT_REQUEST_THREADS = 4
MAX_REQUEST_THREADS = 64
# Each request holds one connection at a time: the pool keeps request_threads + 4 open (overflow
# connections are closed when given back, which costs a reconnect per request under load); the
# rest is for a delivery worker's threads (`serve --with-worker`) and the odd extra.
POOL_SPARE = 4
POOL_OVERFLOW = 16


# A statement's values stay out of error messages, and so out of the logs (docs/operations.md,
# "Logs"): a failed insert would otherwise quote a token's hash, a signing key, a contact's data.
HIDE_PARAMETERS = True


def create_db_engine(url: str, pool_size: int) -> Engine:
    parsed = check_database_url(url)
    url = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as error:
            raise DatabaseStartError(
                f"cannot open the database {url}: {path.parent} is not a directory"
            ) from error
        except OSError as error:
            raise DatabaseStartError(
                f"cannot open the database {url}: its directory {path.parent} cannot be"
                f" created ({error.strerror or error})"
            ) from error
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            pool_size=pool_size,
            max_overflow=POOL_OVERFLOW,
            hide_parameters=HIDE_PARAMETERS,
        )
        _configure_sqlite(engine)
        return engine
    # libpq waits for an unanswered connection as long as TCP does (minutes) unless told.
    connect_args = (
        {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT_S}
    )
    # Every statement prepared on the server at its first run on a connection (psycopg's
    # default waits for the fifth, which a pool spreading requests over its connections
    # seldom reaches): the hot reads are planned once per connection, not on every request.
    connect_args["prepare_threshold"] = PREPARE_THRESHOLD
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=POOL_OVERFLOW,
        connect_args=connect_args,
        hide_parameters=HIDE_PARAMETERS,
    )
    watch_pool(engine)  # dropped connections replaced, as pre-ping would, mostly without a ping
    keep_statements_on_rollback(engine)
    return engine


class Database:
    def __init__(
        self, url: str, request_threads: int = DEFAULT_REQUEST_THREADS, read_cache: bool = True
    ):
        self.url = normalize_url(url)
        # How many requests of this process may use the database at once (the pool's size).
        self.request_threads = request_threads
        self.engine = create_db_engine(self.url, request_threads + POOL_SPARE)
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
        # PostgreSQL: the event loop's own connections, for `read_first`, `read_rows` and
        # `run_plan` (and the rate limits' counting statement), as many per loop as the pool holds.
        self.loop_connections = (
            None
            if self.is_sqlite
            else LoopConnections(
                libpq_conninfo(self.url), request_threads + POOL_SPARE, writers=request_threads
            )
        )
        # Free slots' rows, used again while their location is unchanged (db/read_cache.py);
        # None: every plan reads everything, and no version is read.
        self.read_cache = ReadCache() if read_cache else None

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

    def run_write_plan(self, plan: Plan[Written[T]]) -> T:
        """A write plan (db/batch.py) in a transaction of its own, from a worker thread: its
        reads, then its writes; its value once committed. On SQLite on a pooled connection
        itself, as `db.write()` would run it but without the session around it."""
        if not self.is_sqlite:
            with self.write() as session:
                return run_written(session, plan)
        with self._write_turn:
            pooled = self.engine.raw_connection()
            try:
                connection = pooled.dbapi_connection
                connection.execute("BEGIN IMMEDIATE")
                try:
                    fetch = partial(fetch_round, self.engine.dialect, connection)
                    written = drive(plan, fetch)
                    fetch(written.writes)
                    connection.execute("COMMIT")
                except BaseException:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
                    raise
            finally:
                pooled.close()
        return written.value

    async def write_plan(self, make_plan: Callable[[], Plan[Written[T]]]) -> T:
        """`run_write_plan` of the plan `make_plan()` makes, for an async endpoint. On PostgreSQL
        without leaving the event loop (db/loop_writes.py: no worker thread, no session, `BEGIN`
        and `COMMIT` sent with the first round and the writes, and the second round with the
        first when what the first reads can be guessed; `make_plan` may then be called again);
        on SQLite in a worker thread, as every write: a write there may wait its turn for the
        database's one writer, and the loop must not."""
        if self.is_sqlite:
            return await run_in_threadpool(self.run_write_plan, make_plan())
        connections = self.loop_connections.of_this_loop()
        return await run_write_plan(connections, self.engine.dialect, make_plan)

    def first_row(self, read: PreparedRead, parameters: dict) -> tuple | None:
        """A prepared read's first row on a pooled connection of its own: the lightest read
        there is (no ORM session, and on SQLite no transaction around a single statement).
        For hot paths such as auth."""
        return self._fetch(read, parameters, all_rows=False)

    async def run_read(self, read: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Runs a short read of several statements or of its own kind for an async endpoint:
        right here on SQLite, in a worker thread on PostgreSQL (see `read_first`)."""
        if self.is_sqlite:
            return read(*args, **kwargs)
        return await run_in_threadpool(read, *args, **kwargs)

    async def run_plan(self, plan: Plan[T]) -> T:
        """A plan of reads (db/batch.py) for an async endpoint, without leaving the event loop,
        and without a transaction around it: every statement sees what was committed before it,
        as in PostgreSQL's READ COMMITTED (a plan reads nothing twice, so a snapshot of its own
        would protect nothing). On SQLite the statements run right here on a pooled connection
        (as `read_first`; no session, `BEGIN` or `COMMIT`); on PostgreSQL each round is
        pipelined on one of the loop's own connections, so a round is one round trip, with no
        pre-ping, and results in binary as `fetch_round` reads them. Everything is read."""
        value, _ = await self._run_plan_in_loop(plan)
        return value

    async def run_plan_seen(
        self, plan: Plan[T], *, location_id: str
    ) -> tuple[T, VersionRows | None]:
        """`run_plan` of one location's reads, reading its versions first (db/read_cache.py),
        and the cache at those versions (None when the cache is off): a statement's rows read
        before at the same versions of the tables it names are used again instead of being
        read (on SQLite in every round, on PostgreSQL after the first, which reads the
        location's versions ahead of the plan's first statements), and what is made of this
        plan's reads and of any read after them can be kept there."""
        if self.read_cache is None:
            return await self.run_plan(plan), None
        return await self._run_plan_in_loop(plan, version_of=location_id)

    async def run_plan_at(self, plan: Plan[T], seen: VersionRows | None) -> T:
        """`run_plan` of more reads of the request that `run_plan_seen` read `seen` for (the
        cache at its location's versions; None: everything is read): the rows of statements
        read before at the same versions of their tables are used again, and those read are
        kept there (read after the versions were, they are at least as new)."""
        value, _ = await self._run_plan_in_loop(plan, seen=seen)
        return value

    async def _run_plan_in_loop(
        self,
        plan: Plan[T],
        *,
        version_of: str | None = None,
        seen: VersionRows | None = None,
    ) -> tuple[T, VersionRows | None]:
        if self.is_sqlite:
            return self._run_plan_sqlite(plan, version_of=version_of, seen=seen)
        try:
            fetches = plan.send(None)
            rows, versions = await self._fetch_round_in_loop(fetches, seen, version_of=version_of)
            if version_of is not None:
                seen = self.read_cache.at(version_of, versions)
            while True:
                fetches = plan.send(rows)
                rows, _ = await self._fetch_round_in_loop(fetches, seen)
        except StopIteration as finished:
            return finished.value, seen

    def read_plan(self, plan: Plan[T]) -> T:
        """`run_plan` for a worker thread (the booking widget's pages): on SQLite the same
        reads; on PostgreSQL in a read transaction of its own."""
        if self.is_sqlite:
            value, _ = self._run_plan_sqlite(plan)
            return value
        with self.read() as session:
            return run_plan(session, plan)

    def read_plan_seen(self, plan: Plan[T], *, location_id: str) -> tuple[T, VersionRows | None]:
        """`read_plan` of one location's reads, and the cache at its versions, as `run_plan_seen`
        (on PostgreSQL the versions in a statement of their own ahead of the plan's, in its
        transaction: every round's rows can then be kept)."""
        if self.read_cache is None:
            return self.read_plan(plan), None
        if self.is_sqlite:
            return self._run_plan_sqlite(plan, version_of=location_id)
        with self.read() as session:
            dialect, dbapi_connection = session_connection(session)
            versions = LOCATION_VERSION.compiled(dialect).fetch(
                dbapi_connection, {"location_id": location_id}, all_rows=True
            )
            seen = self.read_cache.at(location_id, TableVersions(versions))
            return drive(plan, partial(fetch_round, dialect, dbapi_connection, cached=seen)), seen

    def read_plan_at(self, plan: Plan[T], seen: VersionRows | None) -> T:
        """`read_plan` of more reads of the request that `read_plan_seen` read `seen` for, as
        `run_plan_at`."""
        if seen is None:
            return self.read_plan(plan)
        if self.is_sqlite:
            value, _ = self._run_plan_sqlite(plan, seen=seen)
            return value
        with self.read() as session:
            dialect, dbapi_connection = session_connection(session)
            return drive(plan, partial(fetch_round, dialect, dbapi_connection, cached=seen))

    def _run_plan_sqlite(
        self,
        plan: Plan[T],
        *,
        version_of: str | None = None,
        seen: VersionRows | None = None,
    ) -> tuple[T, VersionRows | None]:
        connection = self.engine.raw_connection()
        try:
            dbapi_connection = connection.dbapi_connection
            if version_of is not None:
                # Its own statement, before the plan's: the rows it vouches for are at least as new.
                versions = LOCATION_VERSION.compiled(self.engine.dialect).fetch(
                    dbapi_connection, {"location_id": version_of}, all_rows=True
                )
                seen = self.read_cache.at(version_of, TableVersions(versions))
            value = drive(
                plan, partial(fetch_round, self.engine.dialect, dbapi_connection, cached=seen)
            )
        finally:
            connection.close()
        return value, seen

    async def _fetch_round_in_loop(
        self, fetches: Sequence[Fetch], cached: VersionRows | None, version_of: str | None = None
    ) -> tuple[list, TableVersions | None]:
        """A round's shaped results, and with `version_of` that location's versions read in the
        same pipeline (db/location_versions.py; None if nothing was sent). Statements with rows
        in `cached` are not sent; the rows of those that are, are kept there."""
        found = rows_kept(round_statements(self.engine.dialect, fetches), cached)
        queries = [sql_values for (_, _, sql_values), rows in found if rows is None]
        if version_of is not None:
            # First: read before the rows it vouches for, those of this round included.
            version_read = LOCATION_VERSION.compiled(self.engine.dialect)
            queries.insert(0, version_read.sql_and_parameters({"location_id": version_of}))
        versions = None
        if queries:
            read = await self.loop_connections.of_this_loop().run(
                partial(send_round, statements=queries)
            )
            if version_of is not None:
                versions = TableVersions(read.pop(0))
            keep_read(found, read, cached)
        # Shaped once the connection is given back: a shape's failure is not the connection's.
        return [fetch.result(compiled.rows(raws)) for (fetch, compiled, _), raws in found], versions

    async def read_first(self, read: PreparedRead, parameters: dict) -> tuple | None:
        """`first_row` for an async endpoint, without leaving the event loop.

        On SQLite the read is a few microseconds of local file access in WAL mode, where
        readers never wait for writers: cheaper run right here than the hop to a worker thread
        and back, which costs more than the read. On PostgreSQL it runs on one of the event
        loop's own connections (db/loop_connections.py): one round trip, a statement prepared on
        the server, and the loop serves other requests while it waits."""
        if self.is_sqlite:
            return self._fetch(read, parameters, all_rows=False)
        return await self._fetch_in_loop(read.compiled(self.engine.dialect), parameters, False)

    async def read_rows(self, read: PreparedRead, parameters: dict) -> list[tuple]:
        """`rows` for an async endpoint, as `read_first` reads."""
        if self.is_sqlite:
            return self._fetch(read, parameters, all_rows=True)
        return await self._fetch_in_loop(read.compiled(self.engine.dialect), parameters, True)

    async def _fetch_in_loop(self, compiled: CompiledRead, parameters: dict, all_rows: bool):
        sql, values = compiled.sql_and_parameters(parameters)

        (rows,) = await self.loop_connections.of_this_loop().run(
            partial(send_round, statements=[(sql, values)])
        )
        if all_rows:
            return compiled.rows(rows)
        return compiled.row(rows[0]) if rows else None

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
        if self.loop_connections is not None:
            self.loop_connections.clear()
