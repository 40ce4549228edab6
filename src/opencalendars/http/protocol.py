"""The HTTP protocol `serve` runs: uvicorn's httptools protocol with bounded request headers.

uvicorn closes a keep-alive connection that stays silent, but once any byte arrives it waits
for the rest of the headers forever, a connection that never sends a byte is never closed at
all, and httptools keeps every header a client sends (160 MB of them were read into memory in
a test): a few clients could hold sockets open for good or fill the server's memory. Here a
request's headers (with its request line) must be complete

- within OPENCALENDARS_HEADER_TIMEOUT_SECONDS of the moment the connection is ready for that
  request (opened, or done with the previous response), or the connection is closed;
- within MAX_HEADER_BYTES, or the request is answered 431 and the connection closed.

The body has its own deadline (http/timeouts.py) and size limit (http/limits.py).
"""

import asyncio
from functools import cache

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from opencalendars.errors import envelope
from opencalendars.http.json import dumps
from opencalendars.http.trace import new_trace_id
from opencalendars.settings import MAX_HEADER_BYTES, Settings

TOO_LARGE = f"Request headers must not be larger than {MAX_HEADER_BYTES} bytes"


@cache
def header_timeout_seconds() -> float:
    # `serve` passes settings to its worker processes through the environment.
    return Settings.from_env().header_timeout_seconds


def too_large_response() -> bytes:
    # Refused before the application sees the request: its trace id is made here.
    body = dumps({**envelope(431, TOO_LARGE), "traceId": new_trace_id()})
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class BoundedHeadersProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.header_timer: asyncio.TimerHandle | None = None
        # Bytes received while a request's headers are being read (from its first byte on).
        self.header_bytes = 0
        self.reading_headers = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted after parsing, so that bytes after the headers (the body) are not: the count
        # can only run over by what arrived with a request's first byte (the end of a body the
        # app never read, then a pipelined request), which is at most one read.
        if self.reading_headers and not self.transport.is_closing():
            self.header_bytes += len(data)
            if self.header_bytes > MAX_HEADER_BYTES:
                self.transport.write(too_large_response())
                self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.header_bytes = 0
        self.reading_headers = True

    def on_headers_complete(self) -> None:
        self.reading_headers = False
        self._stop_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # uvicorn arms its keep-alive timer exactly when the connection has nothing left to do
        # and waits for the next request (not when a pipelined one is already queued).
        if self.timeout_keep_alive_task is not None:
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._stop_header_timer()
        self.header_timer = self.loop.call_later(header_timeout_seconds(), self._headers_late)

    def _stop_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_late(self) -> None:
        self.header_timer = None
        if not self.transport.is_closing():
            self.transport.close()
