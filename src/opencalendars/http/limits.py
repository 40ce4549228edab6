"""Refuse request bodies over 1 MiB with a 413, before anything reads them whole."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencalendars.errors import PayloadTooLarge
from opencalendars.http.json import JsonResponse

TOO_LARGE = "Request body must not be larger than {limit} bytes"


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            error = PayloadTooLarge(TOO_LARGE.format(limit=self.max_bytes))
            await JsonResponse(error.body(), status_code=413)(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        """Bodies sent without a length (chunked) are counted as they arrive."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise PayloadTooLarge(TOO_LARGE.format(limit=self.max_bytes))
            return message

        return counted
