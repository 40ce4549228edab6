"""Trace ids: every request gets a fresh UUID, answered as `traceId` in every JSON object the
server sends (successes and errors alike, as the live service answers; docs/fidelity.md) and
written in that request's access-log line, so a client's report and the operator's log meet.

Bare-array answers stay bare arrays. The id lives in a context variable: each request runs in a
task of its own, and the worker threads that endpoints run in copy the task's context.
"""

import logging
import time
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TRACE_ID: ContextVar[str | None] = ContextVar("trace_id", default=None)
access_log = logging.getLogger("opencalendars.access")


def new_trace_id() -> str:
    return str(uuid.uuid4())


def with_trace_id(content):
    """A JSON object answer with this request's `traceId`; anything else as it is."""
    trace_id = TRACE_ID.get()
    if trace_id is None or not isinstance(content, dict):
        return content
    return {**content, "traceId": trace_id}


class TraceIds:
    """The outermost middleware: sets the request's trace id and writes its access-log line."""

    def __init__(self, app: ASGIApp):
        self.app = app

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
            client = scope.get("client") or ("-", 0)
            access_log.info(
                '%s:%s - "%s %s" %d %.1f ms traceId=%s',
                client[0],
                client[1],
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
                trace_id,
            )
