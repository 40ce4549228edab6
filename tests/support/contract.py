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


def operations(edition: str = V3) -> list[tuple[str, str, dict]]:
    """Every operation of the edition's spec as (method, path, its facts), in the extract's
    order; the method in lower case, as the extract keys it. The operation id is
    `facts["operationId"]`."""
    return [
        (method, path, facts)
        for path, item in contract(edition)["paths"].items()
        for method, facts in item.items()
    ]


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


# Where the live service answers otherwise than the spec and the live answer wins (PRODUCT §12,
# docs/fidelity.md), the check holds an answer to the spec's schema with exactly these
# allowances, and no others.
# The status the live service sends for an operation, and the documented one whose body it has.
LIVE_STATUSES = {("/calendars/events/{eventId}", "delete", 200): 201}
# Properties of the spec's schemas that the live service also sends as null.
LIVE_NULLS = {"CreatedOrUpdatedBy": ("userId",)}


def live_response(schema: dict) -> dict:
    """A response schema that also admits the live service's `traceId` (PRODUCT §12). Every
    schema of the spec allows extra keys but free slots', whose every key is a date: there
    `traceId` is named beside them."""
    if "additionalProperties" not in schema:
        return schema
    properties = {**schema.get("properties", {}), "traceId": {"type": "string"}}
    return {**schema, "properties": properties}


def live_components(components: dict) -> dict:
    schemas = dict(components["schemas"])
    for name, properties in LIVE_NULLS.items():
        if name not in schemas:  # an extract of another API (OAuth) has no such schema
            continue
        schema = schemas[name]
        widened = {
            key: {**value, "type": [value["type"], "null"]} if key in properties else value
            for key, value in schema["properties"].items()
        }
        schemas[name] = {**schema, "properties": widened}
    return {**components, "schemas": schemas}


def response_schema_errors(path: str, method: str, status: int, body, edition: str = V3) -> list:
    """Every way `body` breaks the spec's response schema for that status (empty when valid)."""
    documented = LIVE_STATUSES.get((path, method.lower(), status), status)
    schema = operation(path, method, edition)["responses"].get(str(documented))
    if schema is None:
        return [f"status {status} is not documented for {method.upper()} {path}"]
    components = live_components(contract(edition)["components"])
    document = _dates_as_strings({"allOf": [live_response(schema)], "components": components})
    validator = jsonschema.Draft7Validator(document)
    return [
        f"{'/'.join(map(str, error.path))}: {error.message}"
        for error in validator.iter_errors(body)
    ]
