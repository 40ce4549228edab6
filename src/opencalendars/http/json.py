"""JSON responses rendered with orjson: every answer of the server goes through here."""

from typing import Any

import orjson
from starlette.responses import Response


def dumps(content: Any) -> bytes:
    return orjson.dumps(content)


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
