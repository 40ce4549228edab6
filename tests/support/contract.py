"""The contract extract (`tests/contract/*.facts.json`) and response checks against it."""

import json
from functools import cache
from pathlib import Path

import jsonschema

CONTRACT_DIR = Path(__file__).resolve().parent.parent / "contract"
V3 = "calendars-v3.facts.json"
V2021 = "calendars-2021-04-15.facts.json"


@cache
def contract(edition: str = V3) -> dict:
    return json.loads((CONTRACT_DIR / edition).read_text())


def operation(path: str, method: str, edition: str = V3) -> dict:
    return contract(edition)["paths"][path][method.lower()]


def _dates_as_strings(schema):
    """The spec types NestJS `Date` fields (`startTime`, `dateAdded`...) as a bare
    `{"type": "object"}` while its examples, the real service and PRODUCT §1 send ISO strings.
    A bare object type therefore also admits a string (and a bare array type, see below);
    everything else stays as strict as the spec."""
    if isinstance(schema, list):
        return [_dates_as_strings(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema == {"type": "object"}:
        return {"type": ["object", "string"]}
    if schema == {"type": "array"}:
        # The same slip for `string[]` items (`messages` of a service booking answer): its
        # example is a list of strings.
        return {"type": ["array", "string"]}
    return {key: _dates_as_strings(value) for key, value in schema.items()}


def response_schema_errors(path: str, method: str, status: int, body, edition: str = V3) -> list:
    """Every way `body` breaks the spec's response schema for that status (empty when valid)."""
    schema = operation(path, method, edition)["responses"].get(str(status))
    if schema is None:
        return [f"status {status} is not documented for {method.upper()} {path}"]
    document = _dates_as_strings({"allOf": [schema], "components": contract(edition)["components"]})
    validator = jsonschema.Draft7Validator(document)
    return [
        f"{'/'.join(map(str, error.path))}: {error.message}"
        for error in validator.iter_errors(body)
    ]
