"""Trace ids: every request gets a fresh UUID, answered as `traceId` in every JSON object the
server sends (successes and errors alike, as the live service answers; docs/fidelity.md) and
written in that request's access-log line, so a client's report and the operator's log meet.

Bare-array answers stay bare arrays. The id lives in a context variable: each request runs in a
task of its own, and the worker threads that endpoints run in copy the task's context.

The access line names the route's path template (`/calendars/{calendarId}`), so ids do not
spread through the log and lines group by operation; a path no route matches is written as sent,
without its query string. Headers and query strings are never written: they carry tokens and the
admin key. The same middleware times the request for the metrics (metrics.py), when they are on.
"""

import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRACE_ID: ContextVar[str | None] = ContextVar("trace_id", default=None)
access_log = logging.getLogger("opencalendars.access")
# A path no route matched, as logged: percent-encoded as sent, cut short.
MAX_LOGGED_PATH = 200
_NOT_PRINTABLE = re.compile(rb"[^\x21-\x7e]")


# (method, route template or None when no route matched, status, seconds)
class RequestObserver(Protocol):
    def __call__(self, method: str, route: str | None, status: int, *, seconds: float) -> None: ...


def new_trace_id() -> str:
    return str(uuid.uuid4())


def with_trace_id(content):
    """A JSON object answer with this request's `traceId`; anything else as it is."""
    trace_id = TRACE_ID.get()
    if trace_id is None or not isinstance(content, dict):
        return content
    return {**content, "traceId": trace_id}


def unmatched_path(scope: Scope) -> str:
    """The path as the client sent it (percent-encoded, never its query string), printable."""
    raw = scope.get("raw_path") or scope["path"].encode()
    raw = raw.split(b"?", 1)[0][:MAX_LOGGED_PATH]
    return _NOT_PRINTABLE.sub(lambda byte: b"%%%02X" % byte[0][0], raw).decode("ascii")


class TraceIds:
    """The outermost middleware: sets the request's trace id, writes its access-log line, and
    hands its route, status and duration to `observe` (the request metrics) when given."""

    def __init__(self, app: ASGIApp, observe: RequestObserver | None = None):
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        trace_id = new_trace_id()
        TRACE_ID.set(trace_id)
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            seconds = time.perf_counter() - started
            # Starlette's router leaves the matched route in the scope.
            template = getattr(scope.get("route"), "path", None)
            if self.observe is not None:
                self.observe(scope["method"], template, status, seconds=seconds)
            if access_log.isEnabledFor(logging.INFO):
                log_request(scope, template, status, seconds=seconds, trace_id=trace_id)


def log_request(
    scope: Scope, template: str | None, status: int, *, seconds: float, trace_id: str
) -> None:
    client = scope.get("client") or ("-", 0)
    path = template or unmatched_path(scope)
    duration_ms = seconds * 1000
    access_log.info(
        '%s:%s - "%s %s" %d %.1f ms traceId=%s',
        client[0],
        client[1],
        scope["method"],
        path,
        status,
        duration_ms,
        trace_id,
        extra={
            "fields": {
                "method": scope["method"],
                "path": path,
                "status": status,
                "durationMs": round(duration_ms, 2),
                "traceId": trace_id,
                "client": f"{client[0]}:{client[1]}",
            }
        },
    )
