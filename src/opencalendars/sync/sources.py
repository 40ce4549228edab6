"""Reading an external calendar: an ICS URL over HTTP, or a CalDAV server (RFC 4791).

Every read is bounded: a timeout per request, at most `MAX_ICS_BYTES` of an ICS file, a
`calendar-query` time-range over the sync window for CalDAV (the server only sends the events
that touch it), at most `MAX_CALDAV_CALENDARS` calendars of an account. Before that REPORT, each
CalDAV calendar's `getctag` (calendarserver.org) is read with a PROPFIND: when every one is the
same as at the last full read, the REPORT is skipped.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import httpx

from opencalendars import __version__
from opencalendars.sync.expand import SyncFailed

TIMEOUT_S = 30.0
MAX_ICS_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_CALDAV_CALENDARS = 20
MAX_ERROR_CHARS = 500
USER_AGENT = f"OpenCalendars/{__version__} (calendar sync)"
CALDAV_CALENDAR = "{urn:ietf:params:xml:ns:caldav}calendar"
CALDAV_CTAG = "{http://calendarserver.org/ns/}getctag"


@dataclass(frozen=True)
class Fetched:
    """iCalendar documents, or None when the server said nothing changed (an ICS URL's HTTP
    304, or CalDAV calendars whose ctags are all the ones known). `ctags`: each CalDAV
    calendar's ctag (by URL) read before its events; None when one of them has none."""

    texts: list[str] | None
    etag: str | None = None
    ctags: dict[str, str] | None = None


def http_url(url: str) -> str:
    """`webcal://` and `webcals://` (what calendar apps hand out) are https."""
    parts = urlsplit(url)
    if parts.scheme.lower() in ("webcal", "webcals"):
        return urlunsplit(("https", *parts[1:]))
    return url


def short(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".replace("\n", " ").strip()
    return text[:MAX_ERROR_CHARS]


def fetch_ics(
    url: str,
    username: str | None,
    password: str | None,
    *,
    etag: str | None,
    timeout_s: float = TIMEOUT_S,
    max_bytes: int = MAX_ICS_BYTES,
) -> Fetched:
    """GET the ICS file, with `If-None-Match` when an ETag is known."""
    headers = {"Accept": "text/calendar, */*;q=0.5", "User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    auth = (username, password or "") if username else None
    try:
        with (
            httpx.Client(
                timeout=timeout_s, follow_redirects=True, max_redirects=MAX_REDIRECTS
            ) as client,
            client.stream("GET", http_url(url), headers=headers, auth=auth) as response,
        ):
            if response.status_code == 304 and etag:
                return Fetched(None, etag)
            if response.status_code != 200:
                raise SyncFailed(f"the calendar URL answered HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise SyncFailed(too_large(max_bytes))
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise SyncFailed(too_large(max_bytes))
            return Fetched([body.decode("utf-8", errors="replace")], response.headers.get("etag"))
    except httpx.HTTPError as error:
        raise SyncFailed(f"the calendar URL cannot be read: {short(error)}") from None


def too_large(max_bytes: int) -> str:
    return f"the calendar is larger than {max_bytes // (1024 * 1024)} MiB"


def _utc(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def fetch_caldav(
    url: str,
    username: str | None,
    password: str | None,
    *,
    window: tuple[int, int],
    known_ctags: dict[str, str] | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Fetched:
    """The events of a CalDAV calendar that touch the window (a `calendar-query` REPORT with
    a time-range): of the calendar the URL names or, when it names an account (its principal
    or the server), of each of its calendars that holds events. Each calendar's ctag is read
    first (PROPFIND, Depth 0); when they are all there and equal to `known_ctags` (the same
    calendars), nothing else is read and `texts` is None."""
    from caldav.lib import error as caldav_errors  # the client is loaded only by syncs

    try:
        client = _client(url, username, password, timeout_s=timeout_s)
        with client:
            named = client.calendar(url=url)
            props = _properties(named)
            if CALDAV_CALENDAR in (props.get("{DAV:}resourcetype") or []):
                calendars = [named]
                ctags = {str(named.url): props.get(CALDAV_CTAG)}
            else:
                calendars = _event_calendars(client.principal().calendars())
                if not calendars:
                    raise SyncFailed("the CalDAV account has no calendar of events")
                ctags = {str(each.url): _properties(each).get(CALDAV_CTAG) for each in calendars}
            seen = ctags if all(ctags.values()) else None  # a calendar without: always read
            if seen is not None and seen == known_ctags:
                return Fetched(None, ctags=seen)
            start, end = _utc(window[0]), _utc(window[1])
            texts = []
            for calendar in calendars:
                found = calendar.search(start=start, end=end, event=True, expand=False)
                texts += [item.data for item in found if item.data]
            return Fetched(texts, ctags=seen)
    except SyncFailed:
        raise
    except caldav_errors.AuthorizationError:
        raise SyncFailed("the CalDAV server refused the username or password") from None
    except caldav_errors.NotFoundError:
        raise SyncFailed("the CalDAV URL names nothing on the server (404)") from None
    except Exception as error:  # connection errors, timeouts, servers' malformed answers
        raise SyncFailed(f"the CalDAV server cannot be read: {short(error)}") from None


def check_caldav_calendar(
    url: str, username: str | None, password: str | None, *, timeout_s: float = TIMEOUT_S
) -> None:
    """One PROPFIND (Depth 0) of `url` with these credentials: `SyncFailed` unless it is a
    calendar collection they can read (write-back's calendar, checked when it is chosen)."""
    from caldav.lib import error as caldav_errors

    try:
        client = _client(url, username, password, timeout_s=timeout_s)
        with client:
            named = client.calendar(url=url)
            kinds = _resource_types(named)
    except caldav_errors.AuthorizationError:
        raise SyncFailed("the CalDAV server refused the username or password") from None
    except caldav_errors.NotFoundError:
        raise SyncFailed("it names nothing on the CalDAV server (404)") from None
    except Exception as error:
        raise SyncFailed(f"the CalDAV server cannot be read: {short(error)}") from None
    if CALDAV_CALENDAR not in kinds:
        raise SyncFailed("it is not a CalDAV calendar (a calendar collection's URL is needed)")


def _client(url: str, username: str | None, password: str | None, *, timeout_s: float):
    """A CalDAV client of the URL's server, with the connection's credentials if it has any."""
    import caldav  # the client is loaded only by syncs

    return caldav.DAVClient(
        url=url,
        username=username or None,
        password=password if username else None,
        timeout=int(timeout_s),
        headers={"User-Agent": USER_AGENT},
    )


def _resource_types(collection) -> list:
    """What a URL is (`{DAV:}resourcetype`): a calendar collection, a principal..."""
    from caldav.elements import dav

    return collection.get_properties([dav.ResourceType()]).get("{DAV:}resourcetype") or []


def _properties(collection) -> dict:
    """A collection's `{DAV:}resourcetype` and (when the server has one) its ctag, in one
    PROPFIND."""
    from caldav.elements import dav
    from caldav.elements.base import ValuedBaseElement

    class GetCtag(ValuedBaseElement):
        tag = CALDAV_CTAG

    found = collection.get_properties([dav.ResourceType(), GetCtag()])
    ctag = found.get(CALDAV_CTAG)
    found[CALDAV_CTAG] = ctag.strip() if isinstance(ctag, str) and ctag.strip() else None
    return found


def _event_calendars(calendars: list) -> list:
    """An account's calendars that may hold events (not only tasks), at most
    `MAX_CALDAV_CALENDARS` of them."""
    chosen = []
    for calendar in calendars:
        try:
            components = calendar.get_supported_components()
        except Exception:  # servers that do not say: assume events
            components = ["VEVENT"]
        if not components or "VEVENT" in components:
            chosen.append(calendar)
    return chosen[:MAX_CALDAV_CALENDARS]
