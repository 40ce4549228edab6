"""NUL characters are refused wherever a request carries text: the path, the query, the body.

PostgreSQL cannot store a NUL in text (it fails the statement) while SQLite stores it: refusing
them at the edge makes both databases answer alike, with a 400 that names where the NUL is.
"""

from typing import Any
from urllib.parse import parse_qsl

from pydantic_core import from_json
from starlette.types import ASGIApp, Receive, Scope, Send

from opencalendars.errors import BadRequest, envelope
from opencalendars.http.json import JsonResponse

NUL = "\x00"
# In a JSON body a NUL can only be this escape: a raw control character is not valid JSON.
JSON_NUL_ESCAPE = b"\\u0000"


def url_nul_messages(path: str, query_string: bytes) -> list[str]:
    messages = []
    if NUL in path:
        messages.append("path must not contain NUL characters")
    if b"%00" in query_string or b"\x00" in query_string:
        # Read as Starlette reads it, to name the parameter.
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
            if NUL in name:
                messages.append("query parameter names must not contain NUL characters")
            elif NUL in value:
                messages.append(f"{name} must not contain NUL characters")
    return list(dict.fromkeys(messages))


class NulInUrl:
    """Checks the path and the query before routing, so no route, dependency or query ever
    sees a NUL. It comes before auth: it tells nothing about what a request should contain."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            messages = url_nul_messages(scope["path"], scope["query_string"])
            if messages:
                await JsonResponse(envelope(400, messages), status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def refuse_nul_in_body(raw: bytes) -> None:
    """400 naming each string and each object whose keys hold a NUL; bodies without the
    escape (nearly all) cost one scan. Malformed JSON is left to the parser to name."""
    if JSON_NUL_ESCAPE not in raw:
        return
    try:
        # The parser Pydantic validates with: what it reads (`1e400` too), this reads alike.
        document = from_json(raw)
    except ValueError:
        return
    messages = body_nul_messages(document)
    if messages:
        raise BadRequest(messages)


def body_nul_messages(document: Any) -> list[str]:
    """In document order; a loop, not recursion, as JSON may nest deeper than Python recurses."""
    messages = []
    stack: list[tuple[tuple, Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        where = ".".join(str(part) for part in path) or "request body"
        if isinstance(value, str):
            if NUL in value:
                messages.append(f"{where} must not contain NUL characters")
        elif isinstance(value, dict):
            if any(NUL in key for key in value):
                messages.append(f"{where} keys must not contain NUL characters")
            items = [((*path, key), item) for key, item in value.items() if NUL not in key]
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([((*path, index), item) for index, item in enumerate(value)]))
    return list(dict.fromkeys(messages))
