"""JSON responses rendered with orjson: every answer of the server goes through here."""

from typing import Any

import orjson
from starlette.responses import Response

from opencalendars.http.trace import with_trace_id


def dumps(content: Any) -> bytes:
    return orjson.dumps(content)


class JsonResponse(Response):
    """Every answer of the API: JSON objects carry the request's `traceId` (http/trace.py)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(with_trace_id(content))
