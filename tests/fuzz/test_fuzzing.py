"""Schemathesis against a live server of its own, for every served operation: no 5xx, no
answer that breaks the spec's response schema, and no request answered 4xx that changes data
(`fuzz_checks.no_write_on_refusal`), over examples, coverage, fuzzing and stateful sequences
that follow the links below. The OpenAPI document is rebuilt from the facts-only contract
extract, so the test runs in any clone."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from contract.test_contract import SERVED
from opencalendars.db import migrate
from opencalendars.db.database import Database
from opencalendars.demo import create_demo
from support.contract import LIVE_STATUSES, contract, live_components, live_response, operations
from support.databases import fresh_database
from support.server import live_server

EXAMPLES_PER_OPERATION = int(os.environ.get("OPENCALENDARS_FUZZ_EXAMPLES", "12"))
# Input that once answered 500 (issue 19): NUL characters, which PostgreSQL cannot store, and
# instants and dates at and past the edges of the accepted years (1900-01-01T00:00:00Z up to
# 9000-01-01T00:00:00Z, docs/errors.md) and of the years Python's dates can hold at all.
EDGE_VALUES = [
    "\x00", "a\x00b", "Sales\x00",
    "1899-12-31T23:59:59Z", "1900-01-01T00:00:00Z", "8999-12-31T23:59:59Z",
    "9000-01-01T00:00:00Z", "9999-12-31T23:59:00Z", "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00",
    "1899-12-31", "1900-01-01", "8999-12-31", "9000-01-01", "9999-12-30", "9999-12-31",
    "0001-01-01",
    -62135596800000, -2208988800001, -2208988800000, 221845391999999, 221845392000000,
    253402300799999, 253402300800000,
]  # fmt: skip
EDGE_PROBABILITY = 0.1
TESTS_DIR = Path(__file__).resolve().parents[1]
# Stateful sequences: what a create answers feeds the operations on that resource.
# (creating operation, its success status, JSON pointer of the new id, path parameter, targets)
LINKS = [
    ("create-calendar-group", "201", "/group/id", "groupId",
     ["edit-group", "disable-group", "delete-group"]),
    ("create-calendar", "200", "/calendar/id", "calendarId",
     ["get-calendar", "update-calendar", "get-slots", "delete-calendar"]),
    ("create-appointment", "200", "/id", "eventId",
     ["get-appointment", "edit-appointment", "delete-event"]),
    ("create-appointment", "200", "/id", "appointmentId",
     ["get-appointment-notes", "create-appointment-note"]),
    ("create-service-location", "201", "/id", "serviceLocationId",
     ["get-service-location-by-id", "update-service-location", "delete-service-location"]),
    ("create-service-catalog", "201", "/service/id", "serviceId",
     ["get-service-catalog-by-id", "update-service-catalog", "delete-service-catalog"]),
    ("create-service-booking", "201", "/bookingId", "bookingId",
     ["get-service-booking-by-id", "update-service-booking", "delete-service-booking"]),
]  # fmt: skip


def relaxed(schema):
    """The spec's loose spots, read as documented (docs/errors.md, docs/services.md): NestJS
    `Date` fields typed as a bare object and `string[]` typed as a bare array also admit a
    string; an error `message` is a string or a list of them (PRODUCT §1)."""
    if isinstance(schema, list):
        return [relaxed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema in ({"type": "object"}, {"type": "array"}):
        return {"anyOf": [schema, {"type": "string"}]}
    return {key: relaxed(value) for key, value in schema.items()}


def error_envelopes(schemas: dict) -> dict:
    message = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    for name in ("BadRequestDTO", "UnauthorizedDTO"):
        schemas[name] = {
            **schemas[name],
            "properties": {**schemas[name]["properties"], "message": message},
        }
    return schemas


def responses_of(path: str, method: str, operation: dict) -> dict:
    """The spec's answers, with the live service's where it wins (support/contract.py)."""
    documented = dict(operation["responses"])
    for (live_path, live_method, status), spec_status in LIVE_STATUSES.items():
        if (live_path, live_method) == (path, method):
            documented[str(status)] = documented[str(spec_status)]
    responses = {}
    for status, schema in documented.items():
        responses[status] = {"description": status}
        if schema is not None:
            answer = relaxed(live_response(schema))
            responses[status]["content"] = {"application/json": {"schema": answer}}
    return responses


def add_links(paths: dict) -> None:
    where = {op["operationId"]: op for item in paths.values() for op in item.values()}
    for source, status, pointer, parameter, targets in LINKS:
        links = where[source]["responses"][status].setdefault("links", {})
        for target in targets:
            links[f"{target}-{parameter}"] = {
                "operationId": target,
                "parameters": {f"path.{parameter}": f"$response.body#{pointer}"},
            }


def openapi_document() -> dict:
    """A valid OpenAPI 3 document of the served operations, from the extract."""
    facts = contract()
    paths: dict = {}
    for method, path, operation in operations():
        if operation["operationId"] not in SERVED:
            continue
        parameters = [
            {
                "name": p["name"],
                "in": p["in"],
                "required": p["required"] or p["in"] == "path",
                "schema": p["schema"],
            }
            for p in operation["parameters"]
        ]
        # The spec forgets `noteId` on two note operations; the path names it anyway.
        declared = {p["name"] for p in parameters if p["in"] == "path"}
        parameters += [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"\{(\w+)\}", path)
            if name not in declared
        ]
        entry = {
            "operationId": operation["operationId"],
            "parameters": parameters,
            "responses": responses_of(path, method, operation),
        }
        body = operation["requestBody"]
        if body is not None and body["schema"] is not None:
            entry["requestBody"] = {
                "required": body["required"],
                "content": {"application/json": {"schema": body["schema"]}},
            }
        paths.setdefault(path, {})[method] = entry
    add_links(paths)
    return {
        "openapi": "3.0.3",
        "info": {"title": "OpenCalendars (served operations)", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": error_envelopes(relaxed(live_components(facts["components"])["schemas"]))
        },
    }


def demo_location(url: str):
    """The demo data in the fuzzed database: list and read operations answer real objects."""
    db = Database(url)
    migrate.upgrade(db)
    try:
        return create_demo(db)
    finally:
        db.dispose()


def schemathesis_config(location_id: str) -> str:
    """Most operations need the token's own location to get past the 403 of tenancy. Every
    generated string, integer and number is sometimes one of EDGE_VALUES (Schemathesis'
    dictionaries), and strings may hold NUL characters anywhere (`allow-x00`, said outright)."""
    values = ", ".join(json.dumps(value) for value in EDGE_VALUES)  # JSON escapes are TOML's
    bindings = "".join(
        f'[generation.dictionaries.{kind}]\ndictionary = "edges"\n'
        f"probability = {EDGE_PROBABILITY}\n"
        for kind in ("string", "integer", "number")
    )
    return (
        f'[parameters]\n"query.locationId" = "{location_id}"\n'
        "[generation]\nallow-x00 = true\n"
        f"[dictionaries.edges]\nvalues = [{values}]\n{bindings}"
    )


def schemathesis_run(tmp_path: Path, document: Path, base_url: str, url: str, demo) -> str:
    """Run Schemathesis as the demo location's client; its report, or a failure with it."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(demo.location_id))
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(config),
        "run", str(document),
        "--url", base_url,
        "--header", f"Authorization: Bearer {demo.token}",
        "--checks", "not_a_server_error,response_schema_conformance,no_write_on_refusal",
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--seed", "20261124",
        # One worker: requests run one at a time, which the no-write check needs (and two
        # Hypothesis threads can trip CPython 3.11's `ast` in Hypothesis's own code).
        "--workers", "1",
    ]  # fmt: skip
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "fuzz.fuzz_checks",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])),
        "OPENCALENDARS_FUZZ_DATABASE_URL": url,
    }
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=1500, cwd=tmp_path, env=environment
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    return result.stdout


def test_fuzzing_finds_no_server_error_no_broken_answer_and_no_write_on_refusal(tmp_path):
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(openapi_document()))
    with fresh_database(tmp_path) as url:
        demo = demo_location(url)
        with live_server(url, tmp_path) as server:
            report = schemathesis_run(tmp_path, document, server.base_url, url, demo)

    assert "Server error" not in report
    assert "Tested: 59" in report
