"""Every JSON object the server answers carries a fresh `traceId` (PRODUCT §12): checked on
every answer any test reads, then set aside, so that tests compare bodies exactly as before.

`response.json()` of httpx (the TestClient, the live-server clients and the official SDK all
use it) is wrapped for the whole run: a JSON object without a UUID4 `traceId`, or with the id of
an earlier answer, fails the test that reads it. Tests of the trace ids themselves read
`response.content`. `/openapi.json` is FastAPI's document, not an answer of the API."""

import json
import uuid

import httpx

_plain_json = httpx.Response.json
_seen: set[str] = set()
NOT_ANSWERS = ("/openapi.json",)


def trace_id_of(response: httpx.Response) -> str:
    """The answer's traceId, which must be a UUID4 no earlier answer had."""
    trace_id = json.loads(response.content)["traceId"]
    assert uuid.UUID(trace_id).version == 4, trace_id
    assert trace_id not in _seen, f"traceId {trace_id} answered twice"
    _seen.add(trace_id)
    return trace_id


def _checked_json(self: httpx.Response, **kwargs):
    data = _plain_json(self, **kwargs)
    if isinstance(data, dict) and not self.request.url.path.endswith(NOT_ANSWERS):
        assert "traceId" in data, f"no traceId in the answer to {self.request.url}: {data}"
        trace_id = data.pop("traceId")
        assert uuid.UUID(trace_id).version == 4, trace_id
    return data


def check_every_answer() -> None:
    httpx.Response.json = _checked_json
