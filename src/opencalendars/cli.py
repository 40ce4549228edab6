"""The `opencalendars` command: serve, worker, db upgrade, location create/list, token
create/list/revoke, webhook create/list/delete, outbox list/retry, company create/list, app
create/list, install create/list/delete, feed create/list/revoke, connection
create/list/delete/sync, demo, --version.

Every command but `serve` and `worker` works on the database directly (no running server
needed), doing what the admin API does. Lists print one line per item, tab-separated, in a
fixed column order and without a header (tabs, newlines and backslashes inside a field are
written `\\t`, `\\n`, `\\\\`), or with `--json` the admin API's JSON; secrets never appear.
"""

import errno
import logging.config
import os
import shutil
import signal
import socket
import threading
import traceback
from enum import StrEnum
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from opencalendars import __version__, logs, metrics
from opencalendars import demo as demo_data
from opencalendars.admin import schemas as admin_schemas
from opencalendars.admin import service as admin_service
from opencalendars.commands import (
    DatabaseUrl,
    Json,
    connect,
    echo_json,
    echo_lines,
    open_database,
)
from opencalendars.db import migrate
from opencalendars.db.database import DatabaseStartError
from opencalendars.errors import ApiError, NotFound
from opencalendars.events import outbox, webhooks
from opencalendars.events.schemas import WebhookCreateDTO, message_dto
from opencalendars.events.worker import Worker, WorkerSettings
from opencalendars.http.auth import ALL_SCOPES
from opencalendars.http.rate_limits import InvalidRateLimits
from opencalendars.http.times import iso_utc_ms
from opencalendars.http.validation import messages_for
from opencalendars.marketplace import schemas as marketplace_schemas
from opencalendars.marketplace import service as marketplace
from opencalendars.settings import InvalidSetting, Settings, load_environment
from opencalendars.sync.cli import connection_app, feed_app
from opencalendars.zones import is_known_zone

app = typer.Typer(help="OpenCalendars: a HighLevel Calendars API server.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
location_app = typer.Typer(help="Locations (sub-accounts).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
webhook_app = typer.Typer(help="Webhook subscriptions.", no_args_is_help=True)
outbox_app = typer.Typer(help="Webhooks and notifications to deliver.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(location_app, name="location")
app.add_typer(token_app, name="token")
app.add_typer(webhook_app, name="webhook")
app.add_typer(outbox_app, name="outbox")
company_app = typer.Typer(help="Companies (agencies) that own locations.", no_args_is_help=True)
apps_app = typer.Typer(help="Marketplace apps (OAuth clients).", no_args_is_help=True)
install_app = typer.Typer(help="Marketplace apps' installs.", no_args_is_help=True)
app.add_typer(company_app, name="company")
app.add_typer(apps_app, name="app")
app.add_typer(install_app, name="install")
app.add_typer(feed_app, name="feed")
app.add_typer(connection_app, name="connection")


# `--debug`: an error that stops a command is shown with its traceback, not only its line.
show_tracebacks = False


def print_version(value: bool) -> None:
    if value:
        typer.echo(f"opencalendars {__version__}")
        raise typer.Exit()


@app.callback()
def options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Show the traceback of an error that stops a command (see main)."
        ),
    ] = False,
) -> None:
    """OpenCalendars: a HighLevel Calendars API server."""
    global show_tracebacks
    show_tracebacks = debug


def database_url(flag: str | None) -> str:
    return flag or Settings.from_env().database_url


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    *,
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    database_url_flag: DatabaseUrl = None,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
    log_level: Annotated[
        str, typer.Option(help="critical, error, warning, info or debug (lines go to stderr).")
    ] = "info",
    with_demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Add the demo data (once) and print its token and how to call it."
        ),
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
    settings = Settings.from_env()
    metrics.check(settings)
    # One format for uvicorn's lines and ours (logs.py), in every server process.
    log_config = checked_log_config(log_level, settings.log_format)
    url = database_url(database_url_flag)
    check_can_listen(host, port)
    # Workers are separate processes that build the app from the environment.
    os.environ["OPENCALENDARS_DATABASE_URL"] = url
    if with_worker:
        os.environ["OPENCALENDARS_WITH_WORKER"] = "1"
    db = open_database(url)
    if with_demo:
        print_demo(demo_data.create_demo(db), host, port)
    db.dispose()
    # Set before the server processes start: they count metrics in its files (metrics.py).
    metrics_dir = metrics.serving_directory(settings.metrics, workers)
    try:
        serve_with_uvicorn(host, port, workers, log_level=log_level.lower(), log_config=log_config)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def serve_with_uvicorn(
    host: str, port: int, workers: int, *, log_level: str, log_config: dict
) -> None:
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
        log_config=log_config,
        # httptools (uvicorn[standard]) with a deadline and a size limit for request headers.
        http="opencalendars.http.protocol:BoundedHeadersProtocol",
    )


def checked_log_config(log_level: str, log_format: str) -> dict:
    """The logging configuration (logs.py); a level outside logs.LEVELS is refused (uvicorn's
    `trace` would log every request's headers, the Authorization header among them)."""
    try:
        return logs.config(log_level, log_format)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--log-level") from None


@db_app.command("upgrade")
def db_upgrade(database_url_flag: DatabaseUrl = None) -> None:
    """Create or migrate the schema to the newest revision; print the revisions applied."""
    db = connect(database_url_flag)
    try:
        applied = migrate.upgrade(db)
    finally:
        db.dispose()
    if applied:
        typer.echo("applied " + ", ".join(migrate.revision_name(r) for r in applied))
    else:
        head = migrate.revision_name(migrate.head_revision())
        typer.echo(f"database is up to date (revision {head})")


@app.command("config")
def config_command() -> None:
    """Print the settings in effect, one NAME=value per line (the environment, else ./.env,
    else the default), secrets masked."""
    for name, value in load_environment().lines():
        typer.echo(f"{name}={value}")


@location_app.command("create")
def location_create(
    name: Annotated[str, typer.Option(help="Location name.")],
    *,
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = "UTC",
    location_id: Annotated[str | None, typer.Option("--id", help="Use this id.")] = None,
    require_contacts: Annotated[
        bool,
        typer.Option(
            help="Bookings must name a live contact of the location (off: any contact id, "
            "for contacts kept in another system)."
        ),
    ] = True,
    company_id: Annotated[
        str | None, typer.Option("--company-id", help="The company (agency) that owns it.")
    ] = None,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Create a location and print its id."""
    if not is_known_zone(timezone):
        raise typer.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone")
    db = open_database(database_url_flag)
    try:
        location = admin_service.create_location(
            db,
            name,
            timezone,
            location_id=location_id,
            require_contacts=require_contacts,
            company_id=company_id,
        )
    except NotFound as error:  # the company
        raise typer.BadParameter(str(error.message), param_hint="--company-id") from None
    except ApiError as error:
        raise typer.BadParameter(str(error.message), param_hint="--id") from None
    typer.echo(location.id)


@location_app.command("list")
def location_list(as_json: Json = False, database_url_flag: DatabaseUrl = None) -> None:
    """One line per location, oldest first: id, time zone, name."""
    locations = admin_service.list_locations(open_database(database_url_flag))
    if as_json:
        echo_json({"locations": [admin_schemas.location_dto(location) for location in locations]})
        return
    echo_lines([[location.id, location.timezone, location.name] for location in locations])


@token_app.command("create")
def token_create(
    location_id: Annotated[str, typer.Option("--location-id", help="The token's location.")],
    *,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Repeat for several; default all.")
    ] = None,
    name: Annotated[str, typer.Option(help="A label for the token.")] = "",
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Create a token for a location and print it (it is shown only once)."""
    unknown = [s for s in scope or [] if s not in ALL_SCOPES]
    if unknown:
        raise typer.BadParameter(
            f"unknown scope {unknown[0]!r}; valid scopes: {', '.join(ALL_SCOPES)}",
            param_hint="--scope",
        )
    db = open_database(database_url_flag)
    try:
        _token, secret = admin_service.create_token(db, location_id, scope or None, name=name)
    except ApiError as error:
        raise typer.BadParameter(str(error.message), param_hint="--location-id") from None
    typer.echo(secret)


@token_app.command("list")
def token_list(
    location_id: Annotated[
        str | None, typer.Option("--location-id", help="Only this location's tokens.")
    ] = None,
    as_json: Json = False,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """One line per token, oldest first: id, location, active or revoked, created (UTC),
    scopes (comma-separated), name. Never the secret."""
    tokens = admin_service.list_tokens(open_database(database_url_flag), location_id)
    if as_json:
        echo_json({"tokens": [admin_schemas.token_dto(token) for token in tokens]})
        return
    echo_lines(
        [
            [
                token.id,
                token.location_id,
                "active" if token.revoked_ms is None else "revoked",
                iso_utc_ms(token.date_added_ms),
                ",".join(token.scopes),
                token.name,
            ]
            for token in tokens
        ]
    )


@token_app.command("revoke")
def token_revoke(token_id: str, database_url_flag: DatabaseUrl = None) -> None:
    """Revoke a token: from now on every request with it is answered 401."""
    try:
        admin_service.revoke_token(open_database(database_url_flag), token_id)
    except ApiError as error:
        raise typer.BadParameter(f"{error.message} ({token_id})", param_hint="TOKEN_ID") from None
    typer.echo("revoked")


@app.command()
def demo(
    database_url_flag: DatabaseUrl = None,
    port: Annotated[int, typer.Option(help="Port used in the printed curl line.")] = 8000,
) -> None:
    """Fill the demo location with example data (once) and print its token and a curl line."""
    db = open_database(database_url_flag)
    print_demo(demo_data.create_demo(db), "127.0.0.1", port)
    typer.echo("Start the server with `opencalendars serve` to call it.")


@app.command()
def worker(
    database_url_flag: DatabaseUrl = None,
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit.")] = False,
    log_level: Annotated[str, typer.Option(help="Log level (lines go to stderr).")] = "info",
) -> None:
    """Deliver webhooks and notifications from the outbox until stopped (SIGTERM, Ctrl-C)."""
    logging.config.dictConfig(checked_log_config(log_level, Settings.from_env().log_format))
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
    *,
    url: Annotated[str, typer.Option(help="Where events are POSTed.")],
    event: Annotated[
        list[str] | None, typer.Option("--event", help="Repeat for several; default all.")
    ] = None,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Subscribe a URL to a location's appointment and contact events; prints its id."""
    try:
        body = WebhookCreateDTO.model_validate(
            {"locationId": location_id, "url": url, "events": event or None}
        )
    except ValidationError as error:
        raise typer.BadParameter("; ".join(messages_for(error.errors()))) from None
    try:
        subscription = webhooks.create_subscription(
            open_database(database_url_flag), body.locationId, body.url, events=body.events
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


def validated(dto: type, fields: dict):
    """A command's options checked by the admin API's own request shape."""
    try:
        return dto.model_validate(fields)
    except ValidationError as error:
        raise typer.BadParameter("; ".join(messages_for(error.errors()))) from None


@company_app.command("create")
def company_create(
    name: Annotated[str, typer.Option(help="Company name.")],
    company_id: Annotated[str | None, typer.Option("--id", help="Use this id.")] = None,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Create a company (agency) and print its id."""
    body = validated(marketplace_schemas.CompanyCreateDTO, {"name": name, "id": company_id})
    try:
        company = marketplace.create_company(open_database(database_url_flag), body.name, body.id)
    except ApiError as error:
        raise typer.BadParameter(str(error.message), param_hint="--id") from None
    typer.echo(company.id)


@company_app.command("list")
def company_list(as_json: Json = False, database_url_flag: DatabaseUrl = None) -> None:
    """One line per company, oldest first: id, name."""
    companies = marketplace.list_companies(open_database(database_url_flag))
    if as_json:
        echo_json({"companies": [marketplace_schemas.company_dto(each) for each in companies]})
        return
    echo_lines([[company.id, company.name] for company in companies])


class Distribution(StrEnum):
    location = "location"
    agency = "agency"


@apps_app.command("create")
def app_create(
    name: Annotated[str, typer.Option(help="App name.")],
    *,
    redirect_uri: Annotated[list[str], typer.Option("--redirect-uri", help="Repeat for several.")],
    scope: Annotated[list[str], typer.Option("--scope", help="Repeat for several.")],
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="Where INSTALL/UNINSTALL go.")
    ] = None,
    distribution: Annotated[
        Distribution, typer.Option(help="Installed per location, or by an agency.")
    ] = Distribution.location,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Create an app; prints its JSON with `clientId` and `clientSecret` (shown only once)."""
    body = validated(
        marketplace_schemas.AppCreateDTO,
        {
            "name": name,
            "redirectUris": redirect_uri,
            "scopes": scope,
            "webhookUrl": webhook_url,
            "distribution": distribution.value,
        },
    )
    created, secret = marketplace.create_app(
        open_database(database_url_flag),
        name=body.name,
        redirect_uris=body.redirectUris,
        scopes=body.scopes,
        webhook_url=body.webhookUrl,
        distribution=body.distribution,
    )
    echo_json({"app": {**marketplace_schemas.app_dto(created), "clientSecret": secret}})


@apps_app.command("list")
def app_list(as_json: Json = False, database_url_flag: DatabaseUrl = None) -> None:
    """One line per app, oldest first: id, client id, distribution, name. Never the secret."""
    apps = marketplace.list_apps(open_database(database_url_flag))
    if as_json:
        echo_json({"apps": [marketplace_schemas.app_dto(each) for each in apps]})
        return
    echo_lines([[each.id, each.client_id, each.distribution, each.name] for each in apps])


@install_app.command("create")
def install_create(
    app_id: Annotated[str, typer.Option("--app-id", help="The app.")],
    *,
    redirect_uri: Annotated[str, typer.Option("--redirect-uri", help="One of the app's.")],
    location_id: Annotated[str | None, typer.Option("--location-id")] = None,
    company_id: Annotated[str | None, typer.Option("--company-id")] = None,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Repeat for several; default the app's.")
    ] = None,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Consent without a browser: install the app and print the install and a code (JSON)."""
    body = validated(
        marketplace_schemas.InstallCreateDTO,
        {
            "appId": app_id,
            "redirectUri": redirect_uri,
            "locationId": location_id,
            "companyId": company_id,
            "scopes": scope or None,
        },
    )
    try:
        found, code = marketplace.admin_install(
            open_database(database_url_flag),
            app_id=body.appId,
            location_id=body.locationId,
            company_id=body.companyId,
            redirect_uri=body.redirectUri,
            scopes=body.scopes,
        )
    except ApiError as error:
        message = error.message if isinstance(error.message, str) else "; ".join(error.message)
        raise typer.BadParameter(message) from None
    echo_json({"install": marketplace_schemas.install_dto(found), "code": code})


@install_app.command("list")
def install_list(
    app_id: Annotated[str | None, typer.Option("--app-id", help="Only this app's.")] = None,
    as_json: Json = False,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """One line per install, oldest first: id, app, location, company, installed or
    uninstalled."""
    installs = marketplace.list_installs(open_database(database_url_flag), app_id)
    if as_json:
        echo_json({"installs": [marketplace_schemas.install_dto(each) for each in installs]})
        return
    echo_lines(
        [
            [
                each.id,
                each.app_id,
                each.location_id or "",
                each.company_id or "",
                "installed" if each.uninstalled_ms is None else "uninstalled",
            ]
            for each in installs
        ]
    )


@install_app.command("delete")
def install_delete(install_id: str, database_url_flag: DatabaseUrl = None) -> None:
    """Uninstall: the app's tokens for it stop at once; UNINSTALL goes to the app."""
    try:
        marketplace.uninstall(open_database(database_url_flag), install_id)
    except ApiError as error:
        raise typer.BadParameter(
            f"{error.message} ({install_id})", param_hint="INSTALL_ID"
        ) from None
    typer.echo("uninstalled")


class OutboxStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    cancelled = "cancelled"


class OutboxKind(StrEnum):
    webhook = "webhook"
    notification = "notification"
    email = "email"
    sms = "sms"


OUTBOX_KINDS = {"notification": ("email", "sms")}


@outbox_app.command("list")
def outbox_list(
    status: Annotated[
        OutboxStatus | None, typer.Option(help="Only messages in this state.")
    ] = None,
    *,
    location_id: Annotated[
        str | None, typer.Option("--location-id", help="Only this location's messages.")
    ] = None,
    kind: Annotated[
        OutboxKind | None, typer.Option(help="Only webhooks, or notifications (email and sms).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 100,
    as_json: Json = False,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """One line per message, newest first: id, location, kind, topic, status, attempts,
    due (UTC), last error."""
    kinds = None if kind is None else OUTBOX_KINDS.get(kind.value, (kind.value,))
    found = outbox.list_messages(
        open_database(database_url_flag),
        location_id,
        None if status is None else status.value,
        limit=limit,
        kinds=kinds,
    )
    if as_json:
        messages = [
            {**message_dto(message, attempts), "locationId": message.location_id}
            for message, attempts in found
        ]
        echo_json({"messages": messages})
        return
    echo_lines(
        [
            [
                message.id,
                message.location_id,
                message.kind,
                message.topic,
                message.status,
                str(message.attempts),
                iso_utc_ms(message.due_ms),
                message.last_error or "-",
            ]
            for message, _attempts in found
        ]
    )


@outbox_app.command("retry")
def outbox_retry(message_id: str, database_url_flag: DatabaseUrl = None) -> None:
    """Make a failed message (or one waiting out its back-off) due now: the next worker
    poll tries it once more."""
    try:
        outbox.retry_message(open_database(database_url_flag), message_id)
    except NotFound as error:
        raise typer.BadParameter(str(error.message), param_hint="MESSAGE_ID") from None
    except ApiError as error:
        typer.echo(f"Error: {error.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo("due now")


def print_demo(result: demo_data.DemoResult, host: str, port: int) -> None:
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    typer.echo(f"Demo location: {result.location_id} ({result.timezone})")
    typer.echo(f"Token:         {result.token}")
    typer.echo("Call the API, for example:")
    typer.echo(
        f'  curl -H "Authorization: Bearer {result.token}" -H "Version: 2021-07-28" '
        f'"{base}/calendars/groups?locationId={result.location_id}"'
    )
    typer.echo(f"Book as a client would: {base}/widget/booking/{result.widget_calendar_id}")


def configure_cli_logging() -> None:
    """The other commands' logging: warnings and errors on stderr, in the configured format (a
    malformed setting is reported by the command that reads it)."""
    try:
        log_format = Settings.from_env().log_format
    except ValueError:
        log_format = "text"
    logs.configure("warning", log_format)


class CannotListen(Exception):
    """`serve`'s address is taken or not this host's."""


def check_can_listen(host: str, port: int) -> None:
    """Refuses an address `serve` cannot listen on before anything starts: uvicorn would find
    out only after the migration (and the demo data), log it among its own lines and exit with
    status 1. Binds as uvicorn does (SO_REUSEADDR, so a port a stopped server left in TIME_WAIT
    is free), then lets go; a process that takes the port in between meets uvicorn's refusal."""
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if not 0 <= port <= 65535:  # getaddrinfo would quietly take it modulo 65536
        raise CannotListen(f"cannot listen on {where}: a port is a number from 0 to 65535")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, protocol, _name, address in found:
            with socket.socket(family, kind, protocol) as probe:
                if os.name != "nt":  # on Windows SO_REUSEADDR would let a taken port be bound
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
    except (OSError, OverflowError, UnicodeError) as error:
        in_use = getattr(error, "errno", None) in (errno.EADDRINUSE, WSAEADDRINUSE)
        reason = "the port is already in use" if in_use else getattr(error, "strerror", None)
        raise CannotListen(f"cannot listen on {where}: {reason or error}") from error


WSAEADDRINUSE = 10048  # Windows' errno for an address in use
# What stops a command at the edge of the process: a setting refused, a database that cannot be
# reached or migrated, an address `serve` cannot listen on. One line, status 2; `--debug` adds the
# traceback. Anything else is a bug, and shows its traceback.
EDGE_ERRORS = (InvalidSetting, InvalidRateLimits, DatabaseStartError, CannotListen)


def main() -> None:
    try:
        configure_cli_logging()
        app()
    except EDGE_ERRORS as error:
        if show_tracebacks:
            traceback.print_exception(error)
        typer.echo(f"Error: {error}", err=True)
        raise SystemExit(2) from None
