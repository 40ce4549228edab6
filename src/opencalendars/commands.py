"""What every command shares: the `--database-url` and `--json` options, opening the database,
and the two outputs (one tab-separated line per item, without a header; or the admin API's JSON).

Tabs, newlines and backslashes inside a field are written `\\t`, `\\n`, `\\\\`, so a line is
always one item."""

import json
from typing import Annotated

import typer

from opencalendars.db import migrate
from opencalendars.db.database import Database
from opencalendars.settings import Settings

Json = Annotated[bool, typer.Option("--json", help="The admin API's JSON instead of lines.")]

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="sqlite:///PATH or postgresql://... (default: $OPENCALENDARS_DATABASE_URL, "
        "else ./opencalendars.db)",
    ),
]


def connect(flag: str | None) -> Database:
    """The database of `--database-url`, else of the settings. Every command reads (and so
    checks) the settings first: a malformed one is refused before anything happens."""
    settings = Settings.from_env()
    return Database(flag or settings.database_url, request_threads=settings.request_threads)


def open_database(flag: str | None) -> Database:
    """`connect`, migrated to the newest revision."""
    db = connect(flag)
    migrate.upgrade(db)
    return db


def field(value: str) -> str:
    """A text field of a tab-separated line: one line, no tab inside."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def echo_lines(rows: list[list[str]]) -> None:
    for row in rows:
        typer.echo("\t".join(field(value) for value in row))


def echo_json(document: dict) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
