"""`opencalendars feed create/list/revoke` and `opencalendars connection
create/list/delete/sync`: calendar sync from the command line, on the database directly, doing
what the admin API does (docs/calendar-sync.md). Lists print one line per item, tab-separated,
without a header, or with `--json` the admin API's JSON; passwords never appear."""

import os
from typing import Annotated

import typer
from pydantic import ValidationError

from opencalendars.commands import DatabaseUrl, Json, echo_json, echo_lines, open_database
from opencalendars.errors import ApiError
from opencalendars.http.times import iso_utc_ms
from opencalendars.http.validation import messages_for
from opencalendars.sync import connections, feeds, schemas

feed_app = typer.Typer(help="ICS feeds (read-only calendar subscriptions).", no_args_is_help=True)
connection_app = typer.Typer(
    help="Conflict calendars: users' CalDAV calendars or ICS URLs synced as busy time.",
    no_args_is_help=True,
)


def message(error: ApiError) -> str:
    return error.message if isinstance(error.message, str) else "; ".join(error.message)


def validated(dto: type, fields: dict):
    try:
        return dto.model_validate(fields)
    except ValidationError as error:
        raise typer.BadParameter("; ".join(messages_for(error.errors()))) from None


@feed_app.command("create")
def feed_create(
    location_id: Annotated[str, typer.Option("--location-id", help="The location.")],
    *,
    base_url: Annotated[
        str,
        typer.Option("--base-url", help="This server's public address, for the printed URL."),
    ],
    user_id: Annotated[
        str | None, typer.Option("--user-id", help="A feed of this user's events.")
    ] = None,
    calendar_id: Annotated[
        str | None, typer.Option("--calendar-id", help="A feed of this calendar's events.")
    ] = None,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Create a feed of a user's or a calendar's events; prints its URL (shown only once)."""
    body = validated(
        schemas.FeedCreateDTO,
        {"locationId": location_id, "userId": user_id, "calendarId": calendar_id},
    )
    try:
        _feed, secret = feeds.create_feed(
            open_database(database_url_flag),
            body.locationId,
            body.userId,
            calendar_id=body.calendarId,
        )
    except ApiError as error:
        raise typer.BadParameter(message(error)) from None
    typer.echo(f"{base_url.rstrip('/')}/feeds/{secret}.ics")


@feed_app.command("list")
def feed_list(
    location_id: Annotated[str, typer.Option("--location-id", help="The location.")],
    as_json: Json = False,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """One line per feed that is not revoked, oldest first: id, kind, user or calendar,
    created (UTC). Never the URL (it holds the secret)."""
    found = feeds.list_feeds(open_database(database_url_flag), location_id)
    if as_json:
        echo_json({"feeds": [schemas.feed_dto(feed) for feed in found]})
        return
    echo_lines(
        [
            [
                feed.id,
                feed.kind,
                feed.user_id or feed.calendar_id or "",
                iso_utc_ms(feed.date_added_ms),
            ]
            for feed in found
        ]
    )


@feed_app.command("revoke")
def feed_revoke(feed_id: str, database_url_flag: DatabaseUrl = None) -> None:
    """Revoke a feed: its URL answers 404 from now on."""
    try:
        feeds.revoke_feed(open_database(database_url_flag), feed_id)
    except ApiError as error:
        raise typer.BadParameter(f"{message(error)} ({feed_id})", param_hint="FEED_ID") from None
    typer.echo("revoked")


@connection_app.command("create")
def connection_create(
    location_id: Annotated[str, typer.Option("--location-id", help="The location.")],
    *,
    user_id: Annotated[str, typer.Option("--user-id", help="Whose busy time it is.")],
    kind: Annotated[str, typer.Option(help="caldav or ics.")],
    url: Annotated[str, typer.Option(help="The CalDAV calendar or account URL, or the ICS URL.")],
    username: Annotated[str | None, typer.Option(help="CalDAV (or HTTP) username.")] = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            help="The name of an environment variable holding the password (never the"
            " password itself on the command line).",
        ),
    ] = None,
    ask_password: Annotated[
        bool, typer.Option("--ask-password", help="Ask for the password (hidden).")
    ] = False,
    sync_now: Annotated[bool, typer.Option("--sync", help="Sync it once right away.")] = False,
    write_back: Annotated[
        str | None,
        typer.Option(
            "--write-back-calendar-url",
            help="A CalDAV calendar of the same account the user's appointments are written to.",
        ),
    ] = None,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Connect a user's external calendar; prints the connection as JSON (never the password).
    A password needs OPENCALENDARS_SECRET_KEY."""
    password = None
    if password_env is not None:
        password = os.environ.get(password_env)
        if not password:
            raise typer.BadParameter(
                f"the environment variable {password_env} is not set", param_hint="--password-env"
            )
    elif ask_password:
        password = typer.prompt("Password", hide_input=True)
    body = validated(
        schemas.ConnectionCreateDTO,
        {
            "locationId": location_id,
            "userId": user_id,
            "kind": kind,
            "url": url,
            "username": username,
            "password": password,
            "writeBackCalendarUrl": write_back,
        },
    )
    db = open_database(database_url_flag)
    try:
        schemas.check_connection(body)
        connection = connections.create_connection(
            db,
            location_id=body.locationId,
            user_id=body.userId,
            kind=body.kind,
            url=body.url,
            username=body.username,
            password=body.password,
            write_back_url=body.writeBackCalendarUrl,
        )
        if sync_now:
            connection = connections.sync_connection(db, connection.id)
    except ApiError as error:
        raise typer.BadParameter(message(error)) from None
    echo_json({"connection": schemas.connection_dto(connection)})


@connection_app.command("list")
def connection_list(
    location_id: Annotated[str, typer.Option("--location-id", help="The location.")],
    *,
    user_id: Annotated[str | None, typer.Option("--user-id", help="Only this user's.")] = None,
    as_json: Json = False,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """One line per connection, oldest first: id, user, kind, URL, last synced (UTC, or -),
    busy count, last error (or -)."""
    found = connections.list_connections(open_database(database_url_flag), location_id, user_id)
    if as_json:
        echo_json({"connections": [schemas.connection_dto(each) for each in found]})
        return
    echo_lines(
        [
            [
                dto["id"],
                dto["userId"],
                dto["kind"],
                dto["url"],
                dto["lastSyncedAt"] or "-",
                str(dto["busyCount"]),
                dto["lastError"] or "-",
            ]
            for dto in (schemas.connection_dto(each) for each in found)
        ]
    )


@connection_app.command("delete")
def connection_delete(connection_id: str, database_url_flag: DatabaseUrl = None) -> None:
    """Remove a connection and its busy time."""
    try:
        connections.delete_connection(open_database(database_url_flag), connection_id)
    except ApiError as error:
        raise typer.BadParameter(
            f"{message(error)} ({connection_id})", param_hint="CONNECTION_ID"
        ) from None
    typer.echo("deleted")


@connection_app.command("sync")
def connection_sync(
    connection_id: Annotated[
        str | None, typer.Argument(help="The connection; without it, use --due.")
    ] = None,
    due: Annotated[
        bool,
        typer.Option(
            "--due", help="Sync every connection that is due (for cron, without a worker)."
        ),
    ] = False,
    database_url_flag: DatabaseUrl = None,
) -> None:
    """Sync one connection now and print it as JSON (exit status 1 when the sync failed), or
    with --due every connection that is due, printing how many were synced."""
    if (connection_id is None) == (not due):
        raise typer.BadParameter("give a CONNECTION_ID or --due (not both)")
    db = open_database(database_url_flag)
    if due:
        typer.echo(f"synced {connections.sync_due(db)}")
        return
    try:
        connection = connections.sync_connection(db, connection_id)
    except ApiError as error:
        raise typer.BadParameter(
            f"{message(error)} ({connection_id})", param_hint="CONNECTION_ID"
        ) from None
    echo_json({"connection": schemas.connection_dto(connection)})
    if connection.last_error is not None:
        raise typer.Exit(1)
