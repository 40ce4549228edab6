"""Calendar sync's routes (docs/calendar-sync.md): the public feed URL `/feeds/{secret}.ics`
(no token: the secret is the key), and the admin API's feeds and calendar connections."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from opencalendars.http.admin_key import require_admin
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import json_body
from opencalendars.sync import connections, feeds, schemas

router = APIRouter(tags=["calendar sync"])
admin_router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])

# Subscribers may keep a feed this long without asking again; after that a poll with the
# ETag costs a 304.
FEED_MAX_AGE_S = 300
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


def etag_matches(header: str | None, etag: str) -> bool:
    """`If-None-Match` (a list, weak or strong, or `*`) names this ETag."""
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


@router.api_route("/feeds/{secret}.ics", methods=["GET", "HEAD"], include_in_schema=False)
def read_feed(request: Request, secret: str):
    """Sync: building a feed reads (and may record its versions), in a worker thread."""
    host = request.url.hostname or "opencalendars"
    feed = feeds.feed_for_secret(request.app.state.db, secret, host)
    headers = {"ETag": feed.etag, "Cache-Control": f"private, max-age={FEED_MAX_AGE_S}"}
    if etag_matches(request.headers.get("if-none-match"), feed.etag):
        return Response(status_code=304, headers=headers)
    return Response(
        feed.body,
        media_type=ICS_MEDIA_TYPE,
        headers={**headers, "Content-Disposition": 'inline; filename="calendar.ics"'},
    )


def feed_url(request: Request, secret: str) -> str:
    """The absolute URL of the feed on this server, as the request reached it."""
    return f"{str(request.base_url).rstrip('/')}/feeds/{secret}.ics"


@admin_router.post("/feeds", status_code=201)
def create_feed(
    request: Request, body: Annotated[schemas.FeedCreateDTO, json_body(schemas.FeedCreateDTO)]
):
    feed, secret = feeds.create_feed(
        request.app.state.db, body.locationId, body.userId, calendar_id=body.calendarId
    )
    return JsonResponse(
        {"feed": schemas.feed_dto(feed, feed_url(request, secret))}, status_code=201
    )


@admin_router.get("/feeds")
def list_feeds(request: Request, locationId: Annotated[str, Query(min_length=1, max_length=64)]):
    found = feeds.list_feeds(request.app.state.db, locationId)
    return JsonResponse({"feeds": [schemas.feed_dto(feed) for feed in found]})


@admin_router.delete("/feeds/{feedId}")
def revoke_feed(request: Request, feedId: str):
    feeds.revoke_feed(request.app.state.db, feedId)
    return JsonResponse({"success": True})


@admin_router.post("/calendar-connections", status_code=201)
def create_connection(
    request: Request,
    body: Annotated[schemas.ConnectionCreateDTO, json_body(schemas.ConnectionCreateDTO)],
):
    body = schemas.check_connection(body)
    connection = connections.create_connection(
        request.app.state.db,
        location_id=body.locationId,
        user_id=body.userId,
        kind=body.kind,
        url=body.url,
        username=body.username,
        password=body.password,
        write_back_url=body.writeBackCalendarUrl,
    )
    return JsonResponse({"connection": schemas.connection_dto(connection)}, status_code=201)


@admin_router.get("/calendar-connections")
def list_connections(
    request: Request,
    locationId: Annotated[str, Query(min_length=1, max_length=64)],
    userId: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
):
    found = connections.list_connections(request.app.state.db, locationId, userId)
    return JsonResponse({"connections": [schemas.connection_dto(each) for each in found]})


@admin_router.get("/calendar-connections/{connectionId}")
def read_connection(request: Request, connectionId: str):
    connection = connections.get_connection(request.app.state.db, connectionId)
    return JsonResponse({"connection": schemas.connection_dto(connection)})


@admin_router.delete("/calendar-connections/{connectionId}")
def delete_connection(request: Request, connectionId: str):
    connections.delete_connection(request.app.state.db, connectionId)
    return JsonResponse({"success": True})


@admin_router.post("/calendar-connections/{connectionId}/sync")
def sync_connection(request: Request, connectionId: str):
    """Runs one sync now (network reads, up to the sources' timeouts), in a worker thread."""
    connection = connections.sync_connection(request.app.state.db, connectionId)
    return JsonResponse({"connection": schemas.connection_dto(connection)})
