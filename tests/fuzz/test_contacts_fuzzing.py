"""Schemathesis against a live server of its own for the ten Contacts operations, as the
calendars are fuzzed (test_fuzzing.py): no 5xx, no answer that breaks the spec's response
schema (with the allowances of support/contacts_contract.py), and no request answered 4xx that
changes data, over examples, coverage, fuzzing and stateful sequences. The document is rebuilt
from the facts-only Contacts extract.

The spec types the search body as an empty object; the fuzzer is given the documented subset of
the filter grammar instead (docs/contacts.md), with every string free, so that it builds
filters, groups, sorts and cursors of every shape the parser must refuse or answer."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from fuzz.test_fuzzing import (
    EXAMPLES_PER_OPERATION,
    TESTS_DIR,
    error_envelopes,
    relaxed,
    schemathesis_config,
)
from opencalendars.admin import service as admin_service
from opencalendars.contacts import service as contacts_service
from opencalendars.contacts.schemas import CreateContactDto
from opencalendars.db import migrate
from opencalendars.db.database import Database
from opencalendars.http.auth import ALL_SCOPES
from support.contacts_contract import (
    CONTACTS_V3,
    SERVED_CONTACTS,
    contacts_contract,
    live_components,
    response_schema,
)
from support.databases import fresh_database
from support.server import live_server

# (creating operation, its success status, JSON pointer of the new id, targets)
LINKS = [
    ("create-contact", "201", "/contact/id",
     ["get-contact", "update-contact", "delete-contact", "get-appointments-for-contact",
      "add-tags", "remove-tags"]),
    ("upsert-contact", "200", "/contact/id", ["get-contact", "add-tags", "delete-contact"]),
]  # fmt: skip

ANY = {}
CONDITION = {
    "type": "object",
    "properties": {
        "field": {
            "anyOf": [
                {"enum": ["id", "email", "firstNameLowerCase", "lastNameLowerCase", "phone",
                          "tags", "dateAdded", "dateUpdated"]},
                ANY,
            ]
        },
        "operator": {
            "anyOf": [
                {"enum": ["eq", "not_eq", "contains", "not_contains", "exists", "not_exists",
                          "range"]},
                ANY,
            ]
        },
        "value": ANY,
    },
    "required": ["field", "operator"],
}  # fmt: skip
GROUP = {
    "type": "object",
    "properties": {
        "group": {"anyOf": [{"enum": ["AND", "OR"]}, ANY]},
        "filters": {"type": "array", "items": {"anyOf": [CONDITION, ANY]}, "maxItems": 4},
    },
    "required": ["group", "filters"],
}
SEARCH_BODY = {
    "type": "object",
    "properties": {
        "locationId": {"type": "string"},
        # Mostly within bounds (the coverage phase still sends what is past them).
        "pageLimit": {"type": "integer", "minimum": 1, "maximum": 500},
        "page": {"type": "integer", "minimum": 1, "maximum": 20},
        "searchAfter": {
            "type": "array",
            "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "minItems": 2,
            "maxItems": 2,
        },
        "filters": {"type": "array", "items": {"anyOf": [CONDITION, GROUP, ANY]}, "maxItems": 6},
        "sort": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {
                        "anyOf": [{"enum": ["dateAdded", "email", "lastNameLowerCase"]}, ANY]
                    },
                    "direction": {"anyOf": [{"enum": ["asc", "desc"]}, ANY]},
                },
                "required": ["field"],
            },
            "maxItems": 1,
        },
        "query": {"type": "string"},
    },
    "required": ["locationId", "pageLimit"],
}


def responses_of(path: str, method: str, operation: dict) -> dict:
    responses = {}
    for status in operation["responses"]:
        responses[status] = {"description": status}
        schema = response_schema(path, method, int(status))
        if schema is not None:
            responses[status]["content"] = {"application/json": {"schema": relaxed(schema)}}
    return responses


def add_links(paths: dict) -> None:
    where = {op["operationId"]: op for item in paths.values() for op in item.values()}
    for source, status, pointer, targets in LINKS:
        links = where[source]["responses"][status].setdefault("links", {})
        for target in targets:
            links[f"{target}-contactId"] = {
                "operationId": target,
                "parameters": {"path.contactId": f"$response.body#{pointer}"},
            }


def openapi_document(location_id: str) -> dict:
    """A valid OpenAPI 3 document of the ten served operations, from the extract. Searches name
    the fuzzed location (the coverage phase still sends others), so that their filters are
    read rather than refused with the 403 of tenancy."""
    facts = contacts_contract(CONTACTS_V3)
    paths: dict = {}
    for (method, path), operation_id in SERVED_CONTACTS.items():
        operation = facts["paths"][path][method]
        assert operation["operationId"] == operation_id
        entry = {
            "operationId": operation_id,
            "parameters": [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p["required"] or p["in"] == "path",
                    "schema": p["schema"],
                }
                for p in operation["parameters"]
            ],
            "responses": responses_of(path, method, operation),
        }
        body = operation["requestBody"]
        if body is not None:
            schema = body["schema"]
            if operation_id == "search-contacts-advanced":
                properties = {**SEARCH_BODY["properties"], "locationId": {"enum": [location_id]}}
                schema = {**SEARCH_BODY, "properties": properties}
            entry["requestBody"] = {
                "required": body["required"],
                "content": {"application/json": {"schema": schema}},
            }
        paths.setdefault(path, {})[method] = entry
    add_links(paths)
    return {
        "openapi": "3.0.3",
        "info": {"title": "OpenCalendars contacts (served operations)", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": error_envelopes(relaxed(live_components(CONTACTS_V3)["schemas"]))
        },
    }


@dataclass
class FuzzedLocation:
    location_id: str
    token: str


def fuzzed_location(url: str) -> FuzzedLocation:
    """A location with a token of every scope, and a few contacts for reads to find."""
    db = Database(url)
    migrate.upgrade(db)
    try:
        location = admin_service.create_location(db, "Fuzzed", "America/New_York", location_id=None)
        _token, secret = admin_service.create_token(db, location.id, list(ALL_SCOPES), name="fuzz")
        for n, phone in enumerate(("+12125550100", "+442079460958")):
            contacts_service.create_contact(
                db,
                CreateContactDto(
                    locationId=location.id,
                    firstName=f"Seed{n}",
                    email=f"seed{n}@example.com",
                    phone=phone,
                    tags=["seed"],
                ),
            )
        return FuzzedLocation(location.id, secret)
    finally:
        db.dispose()


def schemathesis_run(tmp_path: Path, document: Path, base_url: str, url: str, fuzzed) -> str:
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(fuzzed.location_id))
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file", str(config),
        "run", str(document),
        "--url", base_url,
        "--header", f"Authorization: Bearer {fuzzed.token}",
        "--checks", "not_a_server_error,response_schema_conformance,no_write_on_refusal",
        "--max-examples", str(EXAMPLES_PER_OPERATION),
        "--phases", "examples,coverage,fuzzing,stateful",
        "--seed", "20261128",
        "--workers", "1",
    ]  # fmt: skip
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "fuzz.contacts_hooks",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")])),
        "OPENCALENDARS_FUZZ_DATABASE_URL": url,
        "OPENCALENDARS_FUZZ_LOCATION_ID": fuzzed.location_id,
    }
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=1500, cwd=tmp_path, env=environment
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    return result.stdout


def test_fuzzing_the_contacts_finds_no_server_error_no_broken_answer_no_write_on_refusal(tmp_path):
    document = tmp_path / "openapi.json"
    with fresh_database(tmp_path) as url:
        fuzzed = fuzzed_location(url)
        document.write_text(json.dumps(openapi_document(fuzzed.location_id)))
        with live_server(url, tmp_path) as server:
            report = schemathesis_run(tmp_path, document, server.base_url, url, fuzzed)

    assert "Server error" not in report
    assert f"Tested: {len(SERVED_CONTACTS)}" in report
