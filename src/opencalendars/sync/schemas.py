"""Wire shapes of calendar sync's admin API (ours: the HighLevel API has none for it)."""

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

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
    # Write-back (issue 18, phase 2) is not built yet: refused rather than quietly ignored.
    writeBackCalendarUrl: Url | None = None

    @field_validator("writeBackCalendarUrl")
    @classmethod
    def no_write_back(cls, value: str | None) -> None:
        if value is not None:
            raise ValueError("is not supported yet: write-back to a calendar is not available")
        return None


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
    if body.password is not None and body.username is None:
        problems.append("username should not be empty when password is given")
    if problems:
        raise BadRequest(problems)
    return body


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
        "dateAdded": iso_utc_ms(connection.date_added_ms),
    }
