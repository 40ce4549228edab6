"""Health checks for load balancers and orchestrators (no auth, not rate-limited).

- `GET`/`HEAD /healthz`, **liveness**: the process answers. It touches nothing else, the
  database least of all: a database outage must not make a supervisor restart every server
  process, which would not bring the database back.
- `GET`/`HEAD /readyz`, **readiness**: the database answers and its schema is at this release's
  newest migration (or at a newer one, which a newer release has applied: migrations only add,
  so this release works on it; docs/operations.md, "Migrations at deploy"). Otherwise
  `503 {"status": "unavailable", "reason": ...}`: take the process out of rotation, do not
  restart it.

A readiness check opens one connection of its own, outside the request pool (a probe must
neither wait behind requests for a pooled connection nor take one from them), and reads the
Alembic revision: one round trip on SQLite, a few on PostgreSQL. Checks of one app run one at a
time in a thread of their own; whatever happens, the answer comes within
`READY_DEADLINE_SECONDS`.
"""

import asyncio
import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from opencalendars.db import migrate
from opencalendars.db.database import Database, sqlite_path
from opencalendars.http.json import JsonResponse

log = logging.getLogger("opencalendars")

router = APIRouter(tags=["health"])

# Opening a connection (libpq's `connect_timeout`, SQLite's busy timeout) and the revision read
# (PostgreSQL's `statement_timeout`) each give up after this long...
CONNECT_TIMEOUT_SECONDS = 2
# ...and the answer never waits longer than this, even on a network that swallows packets.
READY_DEADLINE_SECONDS = 3.0


@router.get("/healthz")
async def healthz() -> JsonResponse:
    """Liveness: the process answers (from the event loop: not even a request thread)."""
    return JsonResponse({"status": "ok"})


@router.head("/healthz", include_in_schema=False)
async def healthz_head() -> JsonResponse:
    return await healthz()


@router.get("/readyz")
async def readyz(request: Request) -> JsonResponse:
    """Readiness: the database answers and its schema is migrated."""
    reason = await readiness(request.app).reason()
    if reason is None:
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "unavailable", "reason": reason}, status_code=503)


@router.head("/readyz", include_in_schema=False)
async def readyz_head(request: Request) -> JsonResponse:
    return await readyz(request)


@cache
def known_revisions() -> tuple[frozenset[str], frozenset[str]]:
    """This release's migrations (db/migrate.py's script directory): every revision, the heads."""
    scripts = ScriptDirectory.from_config(migrate.alembic_config(None))
    revisions = frozenset(script.revision for script in scripts.walk_revisions())
    return revisions, frozenset(scripts.get_heads())


def schema_problem(current: tuple[str, ...]) -> str | None:
    """Why a database at these Alembic revisions cannot serve this release; None when it can."""
    revisions, heads = known_revisions()
    if not current:
        return "the database has no schema: run opencalendars db upgrade"
    if set(current) == heads or not set(current) <= revisions:
        # At the newest revision, or at one that a newer release added.
        return None
    at, newest = ", ".join(sorted(current)), ", ".join(sorted(heads))
    return f"the database schema is at revision {at}, not {newest}: run opencalendars db upgrade"


def probe_engine(db: Database) -> Engine:
    """An engine that opens a new connection for every check, with short timeouts."""
    url = make_url(db.url)
    if url.get_backend_name() != "sqlite":
        return create_engine(
            url, poolclass=NullPool, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        )
    path = sqlite_path(db.url)
    # `mode=rw`: a database file that has gone is unavailable, never created again empty.
    uri = f"{path.absolute().as_uri()}?mode=rw"
    return create_engine(
        "sqlite://",
        poolclass=NullPool,
        creator=lambda: sqlite3.connect(
            uri, uri=True, timeout=CONNECT_TIMEOUT_SECONDS, check_same_thread=False
        ),
    )


class Readiness:
    """Readiness checks of one database."""

    def __init__(self, db: Database):
        self.db = db
        self.engine = probe_engine(db)
        # One check at a time: a check stuck on a dead network holds this thread, never one
        # that serves requests, and the checks after it answer 503 at their deadline.
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readiness")
        self.last_reason: str | None = None

    def check(self) -> str | None:
        try:
            with self.engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    timeout_ms = CONNECT_TIMEOUT_SECONDS * 1000
                    # SET LOCAL, in the check's own transaction: fine behind PgBouncer too.
                    connection.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
                current = MigrationContext.configure(connection).get_current_heads()
        except Exception as error:
            return f"the database does not answer ({type(error).__name__})"
        return schema_problem(current)

    async def reason(self) -> str | None:
        """None when ready, else why not."""
        running = asyncio.get_running_loop().run_in_executor(self.thread, self.check)
        try:
            reason = await asyncio.wait_for(running, READY_DEADLINE_SECONDS)
        except TimeoutError:
            reason = f"the database did not answer within {READY_DEADLINE_SECONDS:g} s"
        if reason != self.last_reason:
            if reason is None:
                log.info("ready: the database answers and its schema is migrated")
            else:
                log.warning("not ready: %s", reason)
            self.last_reason = reason
        return reason

    def close(self) -> None:
        self.thread.shutdown(wait=False, cancel_futures=True)
        if self.engine is not self.db.engine:
            self.engine.dispose()


def readiness(app: FastAPI) -> Readiness:
    """The app's readiness checks, for the database it uses now."""
    current: Readiness | None = getattr(app.state, "readiness", None)
    if current is None or current.db is not app.state.db:
        if current is not None:
            current.close()
        current = app.state.readiness = Readiness(app.state.db)
    return current
