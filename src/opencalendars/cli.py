"""The `opencalendars` command: serve, worker, db upgrade, location create, token create,
webhook create/list/delete, demo."""

import copy
import os
import signal
import threading
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from opencalendars import demo as demo_data
from opencalendars.admin import service as admin_service
from opencalendars.db import migrate
from opencalendars.db.database import Database
from opencalendars.events import webhooks
from opencalendars.events.schemas import WebhookCreateDTO
from opencalendars.events.worker import Worker, WorkerSettings
from opencalendars.http.auth import CALENDAR_SCOPES
from opencalendars.http.errors import ApiError
from opencalendars.http.rate_limits import InvalidRateLimits
from opencalendars.http.validation import messages_for
from opencalendars.settings import Settings
from opencalendars.zones import is_known_zone

app = typer.Typer(help="OpenCalendars: a HighLevel Calendars API server.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
location_app = typer.Typer(help="Locations (sub-accounts).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
webhook_app = typer.Typer(help="Webhook subscriptions.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(location_app, name="location")
app.add_typer(token_app, name="token")
app.add_typer(webhook_app, name="webhook")

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="sqlite:///PATH or postgresql://... (default: $OPENCALENDARS_DATABASE_URL, "
        "else ./opencalendars.db)",
    ),
]


def database_url(flag: str | None) -> str:
    return flag or Settings.from_env().database_url


def open_database(flag: str | None) -> Database:
    db = Database(database_url(flag))
    migrate.upgrade(db)
    return db


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    database_url_flag: DatabaseUrl = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    with_demo: Annotated[
        bool, typer.Option("--demo", help="Add the demo data first and print how to call it.")
    ] = False,
    with_worker: Annotated[
        bool,
        typer.Option(
            "--with-worker", help="Also deliver webhooks and notifications from this process."
        ),
    ] = False,
) -> None:
    """Serve the API (migrating the database first)."""
    # Malformed settings are refused before anything starts (the workers read them again).
    Settings.from_env()
    url = database_url(database_url_flag)
    # Workers are separate processes that build the app from the environment.
    os.environ["OPENCALENDARS_DATABASE_URL"] = url
    if with_worker:
        os.environ["OPENCALENDARS_WITH_WORKER"] = "1"
    db = open_database(url)
    if with_demo:
        print_demo(demo_data.create_demo(db), host, port)
    db.dispose()
    uvicorn.run(
        "opencalendars.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=False,
        # One access-log line per request, ours: it carries the request's traceId (http/trace.py).
        access_log=False,
        log_config=server_log_config(log_level),
        # httptools (uvicorn[standard]) with a deadline and a size limit for request headers.
        http="opencalendars.http.protocol:BoundedHeadersProtocol",
    )


def server_log_config(log_level: str) -> dict:
    """uvicorn's logging, with the server's own loggers (`opencalendars`, its access lines)
    written by the same handler at the same `--log-level`."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["opencalendars"] = {
        "handlers": ["default"],
        "level": log_level.upper(),
        "propagate": False,
    }
    return config


@db_app.command("upgrade")
def db_upgrade(database_url_flag: DatabaseUrl = None) -> None:
    """Create or migrate the schema to the newest revision."""
    open_database(database_url_flag).dispose()
    typer.echo("database is up to date")


@location_app.command("create")
def location_create(
    name: Annotated[str, typer.Option(help="Location name.")],
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = "UTC",
    location_id: Annotated[str | None, typer.Option("--id", help="Use this id.")] = None,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Create a location and print its id."""
    if not is_known_zone(timezone):
        raise typer.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone")
    db = open_database(database_url_flag)
    try:
        location = admin_service.create_location(db, name, timezone, location_id)
    except ApiError as error:
        raise typer.BadParameter(str(error.message), param_hint="--id") from None
    typer.echo(location.id)


@token_app.command("create")
def token_create(
    location_id: Annotated[str, typer.Option("--location-id", help="The token's location.")],
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Repeat for several; default all.")
    ] = None,
    name: Annotated[str, typer.Option(help="A label for the token.")] = "",
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Create a token for a location and print it (it is shown only once)."""
    unknown = [s for s in scope or [] if s not in CALENDAR_SCOPES]
    if unknown:
        raise typer.BadParameter(f"unknown scope {unknown[0]!r}", param_hint="--scope")
    db = open_database(database_url_flag)
    try:
        _token, secret = admin_service.create_token(db, location_id, scope or None, name)
    except ApiError as error:
        raise typer.BadParameter(str(error.message), param_hint="--location-id") from None
    typer.echo(secret)


@app.command()
def demo(
    database_url_flag: DatabaseUrl = None,
    port: Annotated[int, typer.Option(help="Port used in the printed curl line.")] = 8000,
) -> None:
    """Fill a demo location with example data and print a token and a curl line."""
    db = open_database(database_url_flag)
    print_demo(demo_data.create_demo(db), "127.0.0.1", port)
    typer.echo("Start the server with `opencalendars serve` to call it.")


@app.command()
def worker(
    database_url_flag: DatabaseUrl = None,
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit.")] = False,
) -> None:
    """Deliver webhooks and notifications from the outbox until stopped (SIGTERM, Ctrl-C)."""
    db = open_database(database_url_flag)
    delivery = Worker(db, WorkerSettings.from_env())
    if once:
        while delivery.run_once():
            pass
        delivery.close()
        return
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    delivery.run(stop)


@webhook_app.command("create")
def webhook_create(
    location_id: Annotated[str, typer.Option("--location-id", help="The location.")],
    url: Annotated[str, typer.Option(help="Where events are POSTed.")],
    event: Annotated[
        list[str] | None, typer.Option("--event", help="Repeat for several; default all.")
    ] = None,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Subscribe a URL to a location's appointment events; prints its id."""
    try:
        body = WebhookCreateDTO.model_validate(
            {"locationId": location_id, "url": url, "events": event or None}
        )
    except ValidationError as error:
        raise typer.BadParameter("; ".join(messages_for(error.errors()))) from None
    try:
        subscription = webhooks.create_subscription(
            open_database(database_url_flag), body.locationId, body.url, body.events
        )
    except ApiError as error:
        raise typer.BadParameter(str(error.message), param_hint="--location-id") from None
    typer.echo(subscription.id)


@webhook_app.command("list")
def webhook_list(
    location_id: Annotated[str | None, typer.Option("--location-id")] = None,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """One line per subscription: id, location, URL, events."""
    for subscription in webhooks.list_subscriptions(open_database(database_url_flag), location_id):
        events = ",".join(subscription.events or ["*"])
        typer.echo(f"{subscription.id}  {subscription.location_id}  {subscription.url}  {events}")


@webhook_app.command("delete")
def webhook_delete(webhook_id: str, database_url_flag: DatabaseUrl = None) -> None:
    """Remove a subscription; its undelivered events are cancelled."""
    try:
        webhooks.delete_subscription(open_database(database_url_flag), webhook_id)
    except ApiError as error:
        raise typer.BadParameter(str(error.message), param_hint="WEBHOOK_ID") from None
    typer.echo("deleted")


def print_demo(result: demo_data.DemoResult, host: str, port: int) -> None:
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    typer.echo(f"Demo location: {result.location_id} ({result.timezone})")
    typer.echo(f"Token:         {result.token}")
    typer.echo("Call the API, for example:")
    typer.echo(
        f'  curl -H "Authorization: Bearer {result.token}" -H "Version: 2021-07-28" '
        f'"{base}/calendars/groups?locationId={result.location_id}"'
    )


def main() -> None:
    try:
        app()
    except InvalidRateLimits as error:
        # A malformed OPENCALENDARS_RATE_LIMITS: one line, no traceback, and nothing starts.
        typer.echo(f"Error: {error}", err=True)
        raise SystemExit(2) from None
