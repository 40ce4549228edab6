"""The ASGI application: routers, the error envelope, limits, storage."""

import gc
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial

import psycopg
from anyio import to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute

from opencalendars import __version__, health, metrics
from opencalendars.admin.router import router as admin_router
from opencalendars.admin.tokens import TokenLookup
from opencalendars.appointments.router import router as appointments_router
from opencalendars.blocked_slots.router import router as blocked_slots_router
from opencalendars.calendars.router import router as calendars_router
from opencalendars.contacts.router import router as contacts_router
from opencalendars.db import migrate
from opencalendars.db.database import Database
from opencalendars.db.location_versions import keep_compacting
from opencalendars.errors import ApiError, envelope
from opencalendars.events.router import admin_router as events_admin_router
from opencalendars.events.router import public_router as webhooks_router
from opencalendars.events.worker import Worker, WorkerSettings
from opencalendars.groups.router import router as groups_router
from opencalendars.http.json import JsonResponse
from opencalendars.http.limits import BodySizeLimit
from opencalendars.http.nul import NulInUrl
from opencalendars.http.openapi import install_docs
from opencalendars.http.rate_limits import RateLimiting, create_limiter
from opencalendars.http.timeouts import BodyTimeout
from opencalendars.http.trace import TraceIds
from opencalendars.http.unavailable import database_error
from opencalendars.http.validation import messages_for
from opencalendars.marketplace.router import admin_router as marketplace_admin_router
from opencalendars.marketplace.router import router as oauth_router
from opencalendars.marketplace.tokens import AppTokenLookup
from opencalendars.notifications.router import router as notifications_router
from opencalendars.resources.router import router as resources_router
from opencalendars.schedules.router import router as schedules_router
from opencalendars.services.router import router as services_router
from opencalendars.settings import MAX_BODY_BYTES, Settings
from opencalendars.slots.router import router as slots_router
from opencalendars.sync.router import admin_router as sync_admin_router
from opencalendars.sync.router import router as feeds_router
from opencalendars.web.consent import router as consent_router
from opencalendars.widget.router import router as widget_router

log = logging.getLogger("opencalendars")

PARAMETER_SOURCES = ("query", "path", "header", "cookie", "body")


def api_error(_request: Request, exc: ApiError) -> JsonResponse:
    return JsonResponse(exc.body(), status_code=exc.status_code)


def without_source(loc: tuple) -> tuple:
    """`("query", "locationId")` reads as `locationId` in a message."""
    return loc[1:] if loc and loc[0] in PARAMETER_SOURCES else loc


def validation_error(_request: Request, exc: RequestValidationError) -> JsonResponse:
    errors = [{**error, "loc": without_source(error["loc"])} for error in exc.errors()]
    return JsonResponse(envelope(400, messages_for(errors)), status_code=400)


def http_error(request: Request, exc: HTTPException) -> JsonResponse:
    """Unknown routes and wrong methods, in the same envelope as everything else."""
    if exc.status_code not in (404, 405):
        return JsonResponse(envelope(exc.status_code, str(exc.detail)), status_code=exc.status_code)
    message = f"Cannot {request.method} {request.url.path}"
    return JsonResponse(envelope(exc.status_code, message), status_code=exc.status_code)


def unexpected_error(_request: Request, exc: Exception) -> JsonResponse:
    # Log the details for the operator; the client learns nothing about internals.
    log.exception("unhandled error", exc_info=exc)
    return JsonResponse(envelope(500, "Internal server error"), status_code=500)


def path_segments(route: BaseRoute) -> int:
    path = getattr(route, "path", "")
    if ":path}" in path:
        raise ValueError(f"{path}: a parameter spanning segments breaks the route order")
    return path.count("/")


def add_routes(app: FastAPI, *routers: APIRouter) -> None:
    """The areas' routes, in one flat table, fewest path segments first.

    Not `include_router`: FastAPI 0.16x keeps each included router behind wrappers and matches
    a request through all of them twice; with 13 areas that was a third of the time of a
    plain GET (py-spy). A flat table is scanned once, route by route, first full match wins.
    A path of N segments only matches routes of N segments (no `:path` parameters), so the
    stable sort changes no match; it puts the short, frequent paths such as
    `/calendars/{calendarId}` a dozen checks from the front instead of sixty."""
    routes = [route for router in routers for route in router.routes]
    app.router.routes.extend(sorted(routes, key=path_segments))


@contextmanager
def startup_objects_frozen() -> Iterator[None]:
    """While serving, the ~200,000 objects of a started process (modules, routes, schemas, the
    ORM's mappings) are left out of the garbage collector's full collections. Each full
    collection walked all of them: about 100 ms, once every few hundred free-slots requests, on
    whichever request set it off (bench/RESULTS.md, "Issue 21, 2026-12-07"). Objects made later
    are collected as before; the startup's own garbage is collected first, and the objects are
    given back to the collector when serving ends."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Requests run in at most `request_threads` threads: more only fight over the GIL and the
    connection pool. On PostgreSQL, a thread compacts the locations' changes
    (db/location_versions.py); with `with_worker`, a delivery worker runs beside the server."""
    to_thread.current_default_thread_limiter().total_tokens = app.state.settings.request_threads
    db = app.state.db
    tasks = []
    if not db.is_sqlite:
        tasks.append(("location-versions", partial(keep_compacting, db.engine)))
    if app.state.settings.with_worker:
        tasks.append(("delivery", Worker(db, WorkerSettings.from_env()).run))
    with startup_objects_frozen():
        stop = threading.Event()
        threads = [
            threading.Thread(target=run, args=(stop,), name=name, daemon=True)
            for name, run in tasks
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    db = Database(
        settings.database_url,
        request_threads=settings.request_threads,
        read_cache=settings.read_cache,
    )
    migrate.upgrade(db)

    app = FastAPI(
        lifespan=lifespan,
        title="OpenCalendars",
        version=__version__,
        description="A self-hosted server for the HighLevel (LeadConnector) Calendars API.",
        default_response_class=JsonResponse,
        redirect_slashes=False,
        # Ours, offline, from the contract: install_docs below (http/openapi.py).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    # How http/auth finds a request's token.
    app.state.tokens = TokenLookup(db)
    # ...and a marketplace app's access token (a JWT).
    app.state.app_tokens = AppTokenLookup(db)
    # Per-token rate limits (http/rate_limits.py), counted by the token check; None when off.
    app.state.rate_limiter = create_limiter(
        settings.rate_limits, db, settings.redis_url, live_token_sql=app.state.tokens.sql()
    )
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    for database_failure in (DBAPIError, psycopg.Error, sqlite3.Error):
        app.add_exception_handler(database_failure, database_error)
    app.add_exception_handler(Exception, unexpected_error)
    if app.state.rate_limiter is not None:
        # Innermost: hands the limiter to the token check, and adds the headers to whatever
        # answers a counted request.
        app.add_middleware(RateLimiting, limiter=app.state.rate_limiter)
    # The last added runs first: a NUL in the URL is refused before anything else.
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(BodyTimeout, seconds=settings.body_timeout_seconds)
    app.add_middleware(NulInUrl)
    # Outermost: every answer, a refused URL's included, carries the request's traceId.
    # ...and times it for the metrics (metrics.py) when they are on.
    app.add_middleware(TraceIds, observe=metrics.request_observer(settings))
    add_routes(
        app,
        # Literal paths first: `/calendars/{calendarId}` would otherwise swallow them.
        groups_router,
        schedules_router,
        services_router,
        resources_router,
        blocked_slots_router,
        appointments_router,
        slots_router,
        notifications_router,
        calendars_router,
        contacts_router,
        oauth_router,
        # The consent page (HTML) an app sends the operator to.
        consent_router,
        # The public booking pages (HTML) and the staff's calendar feeds (ICS), no token.
        widget_router,
        feeds_router,
        # The operator's routes last: their paths never meet the contract's.
        health.router,
        webhooks_router,
    )
    if settings.admin_key is not None:
        # Without a key the admin API does not exist: its paths answer 404 like any unknown
        # path, and /openapi.json does not list them.
        add_routes(
            app, admin_router, events_admin_router, marketplace_admin_router, sync_admin_router
        )
    metrics.add_route(app, settings)  # `/metrics`, as OPENCALENDARS_METRICS says
    install_docs(app)
    return app
