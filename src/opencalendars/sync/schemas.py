"""Wire shapes of calendar sync's admin API (ours: the HighLevel API has none for it)."""

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field

from opencalendars.db.database import mask_url
from opencalendars.errors import BadRequest
from opencalendars.http.times import iso_utc_ms
from opencalendars.http.validation import RequestDTO

Id = Annotated[str, Field(min_length=1, max_length=64)]
UserId = Annotated[str, Field(min_length=1, max_length=255)]
Url = Annotated[str, Field(min_length=1, max_length=2048)]
SCHEMES = {"caldav": ("http", "https"), "ics": ("http", "https", "webcal", "webcals")}


class FeedCreateDTO(RequestDTO):
    locationId: Id
    userId: UserId | None = None
    calendarId: Id | None = None


class ConnectionCreateDTO(RequestDTO):
    locationId: Id
    userId: UserId
    kind: Literal["caldav", "ics"]
    url: Url
    username: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    password: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    # A CalDAV calendar of the same account the user's appointments are written to.
    writeBackCalendarUrl: Url | None = None


def check_connection(body: ConnectionCreateDTO) -> ConnectionCreateDTO:
    """What the shape alone does not say: a URL the kind can read, a username with a password."""
    problems = []
    try:
        parts = urlsplit(body.url)
        usable = parts.scheme.lower() in SCHEMES[body.kind] and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        usable = False
    if not usable:
        schemes = " or ".join(f"{scheme}://" for scheme in SCHEMES[body.kind])
        problems.append(f"url must be an absolute {schemes} URL for kind {body.kind}")
    if body.writeBackCalendarUrl is not None:
        if body.kind != "caldav":
            problems.append("writeBackCalendarUrl can only be given for kind caldav")
        elif usable and not _same_origin(body.url, body.writeBackCalendarUrl):
            problems.append(
                "writeBackCalendarUrl must be on the server of url (same scheme, host and port):"
                " it is a calendar of the same account"
            )
    if body.password is not None and body.username is None:
        problems.append("username should not be empty when password is given")
    if problems:
        raise BadRequest(problems)
    return body


def _same_origin(url: str, other: str) -> bool:
    try:
        a, b = urlsplit(url), urlsplit(other)
        return (a.scheme.lower(), a.hostname, a.port) == (b.scheme.lower(), b.hostname, b.port)
    except ValueError:
        return False


def feed_dto(feed, url: str | None = None) -> dict:
    """A feed; its `url` (which holds the secret) only when it is created."""
    found = {
        "id": feed.id,
        "locationId": feed.location_id,
        "kind": feed.kind,
        "userId": feed.user_id,
        "calendarId": feed.calendar_id,
        "dateAdded": iso_utc_ms(feed.date_added_ms),
    }
    return found if url is None else {**found, "url": url}


def connection_dto(connection) -> dict:
    """A connection: never its password (`hasPassword` says whether one is kept); a password
    inside the URL is masked."""
    return {
        "id": connection.id,
        "locationId": connection.location_id,
        "userId": connection.user_id,
        "kind": connection.kind,
        "url": mask_url(connection.url),
        "username": connection.username,
        "hasPassword": connection.password_encrypted is not None,
        "lastSyncedAt": None
        if connection.last_synced_ms is None
        else iso_utc_ms(connection.last_synced_ms),
        "lastError": connection.last_error,
        "busyCount": connection.busy_count,
        "writeBackCalendarUrl": None
        if connection.write_back_url is None
        else mask_url(connection.write_back_url),
        "lastWriteBackAt": None
        if connection.last_write_back_ms is None
        else iso_utc_ms(connection.last_write_back_ms),
        "lastWriteBackError": connection.last_write_back_error,
        "dateAdded": iso_utc_ms(connection.date_added_ms),
    }
