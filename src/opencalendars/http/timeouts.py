"""A request body that trickles in is cut off: 408 when it is not whole in time.

Headers have their own deadline in the server protocol (http/protocol.py); this one starts when
they are complete, so a client cannot hold a request thread and a connection by sending its
body a byte at a time.
"""

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencalendars.errors import envelope
from opencalendars.http.json import JsonResponse

TOO_SLOW = "The request body did not arrive within {seconds:g} s"


class BodyTimedOut(Exception):
    """Raised from `receive`; passes every handler inside the app up to `BodyTimeout`."""


class BodyTimeout:
    def __init__(self, app: ASGIApp, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, self._timed(receive), send)
        except BodyTimedOut:
            # `Connection: close`: the rest of the body would otherwise still be read.
            response = JsonResponse(
                envelope(408, TOO_SLOW.format(seconds=self.seconds)),
                status_code=408,
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)

    def _timed(self, receive: Receive) -> Receive:
        """Until the last part of the body has arrived; after it, `receive` only waits for a
        disconnect, which is not the client's to hurry."""
        deadline = asyncio.get_running_loop().time() + self.seconds
        body_complete = False

        async def timed() -> Message:
            nonlocal body_complete
            if body_complete:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimedOut from None
            body_complete = message["type"] != "http.request" or not message.get("more_body")
            return message

        return timed
