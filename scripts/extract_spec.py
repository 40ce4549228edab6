"""Write the facts-only extract of the API contract that the tests read.

The official OpenAPI documents live in `../shared/spec/` (beside the repository),
which a user's clone does not have. This keeps in the repo only the facts the tests
need — paths, methods, operation ids, tags, parameters, security scopes (and the scheme names
where they are not a location's token), request bodies' media types where they are not JSON
alone, status codes and the structure and types of the schemas — and drops descriptions and
examples.

The v3 extracts (calendars and contacts) and both OAuth editions are also written into the
package (`src/opencalendars/contract/`): the server builds `/openapi.json` from them
(http/openapi.py), so an installed server has them.

    python scripts/extract_spec.py [SPEC_DIR]
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC_DIR = ROOT.parent / "shared" / "spec"
OUT_DIR = ROOT / "tests" / "contract"
EDITIONS = {
    "calendars-v3.openapi.json": "calendars-v3.facts.json",
    "calendars-2021-04-15.openapi.json": "calendars-2021-04-15.facts.json",
    "contacts-v3.openapi.json": "contacts-v3.facts.json",
    "contacts-2021-07-28.openapi.json": "contacts-2021-07-28.facts.json",
    "oauth-v3.openapi.json": "oauth-v3.facts.json",
    "oauth.openapi.json": "oauth.facts.json",
}
# The extract the server documents itself with, shipped as package data.
PACKAGE_DIR = ROOT / "src" / "opencalendars" / "contract"
PACKAGED = (
    "calendars-v3.facts.json",
    "contacts-v3.facts.json",
    "oauth-v3.facts.json",
    "oauth.facts.json",
)
# A request body's media type when the spec names no other: the facts say none then.
JSON_ONLY = ["application/json"]
# The security schemes of a location's token (or private integration token), which every
# Calendars and Contacts operation takes: their operations' facts name scopes only. Any other
# scheme (the OAuth API's `Agency-Access-Only`: a company's token) is named in the facts.
LOCATION_SCHEMES = {"bearer", "Location-Access"}
# Keys that say what a value is; everything else (descriptions, examples, titles) is prose.
SCHEMA_KEYS = {
    "type",
    "format",
    "enum",
    "items",
    "properties",
    "required",
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "additionalProperties",
    "nullable",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
    "default",
    # A read-only or deprecated property is one a client cannot (or should not) send.
    "readOnly",
    "deprecated",
}
METHODS = ("get", "post", "put", "patch", "delete")
# Webhook payloads: the JSON schema block of each `webhook-<Event>.md`.
WEBHOOK_EVENTS = (
    "AppointmentCreate",
    "AppointmentUpdate",
    "AppointmentDelete",
    "ContactCreate",
    "ContactUpdate",
    "ContactDelete",
)
WEBHOOKS_TARGET = "webhooks.facts.json"
SCHEMA_BLOCK = re.compile(r"```json json_schema\n(.*?)\n```", re.DOTALL)


def schema_facts(schema):
    if isinstance(schema, list):
        return [schema_facts(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    facts = {}
    for key, value in schema.items():
        if key not in SCHEMA_KEYS:
            continue
        if key == "properties":
            facts[key] = {name: schema_facts(sub) for name, sub in value.items()}
        elif isinstance(value, dict | list) and key not in ("enum", "required", "default"):
            facts[key] = schema_facts(value)
        else:
            facts[key] = value
    return facts


def content_schema(holder: dict):
    content = holder.get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), {})
    return schema_facts(media.get("schema")) if media.get("schema") else None


def body_facts(body: dict, operation_id: str) -> dict:
    """A request body's facts: its schema and, when it is not JSON alone, its media types (the
    OAuth forms), in the spec's order. One schema for every media type, or the script fails."""
    content = body.get("content") or {}
    schemas = [media.get("schema") for media in content.values()]
    if any(schema != schemas[0] for schema in schemas):
        raise ValueError(f"{operation_id}: media types with different schemas")
    facts = {"required": body.get("required", False), "schema": content_schema(body)}
    if list(content) != JSON_ONLY:
        facts["mediaTypes"] = list(content)
    return facts


def operation_facts(operation: dict) -> dict:
    parameters = [
        {
            "name": parameter["name"],
            "in": parameter["in"],
            "required": parameter.get("required", False),
            "schema": schema_facts(parameter.get("schema", {})),
        }
        for parameter in operation.get("parameters", [])
    ]
    security = sorted(
        {
            scope
            for requirement in operation.get("security", [])
            for s in requirement.values()
            for scope in s
        }
    )
    schemes = sorted(
        {name for requirement in operation.get("security", []) for name in requirement}
    )
    body = operation.get("requestBody")
    facts = {
        "operationId": operation["operationId"],
        # The groups the operations come in (names only; the tags' descriptions are prose).
        "tags": operation.get("tags", []),
        "parameters": parameters,
        "requestBody": body_facts(body, operation["operationId"]) if body else None,
        "responses": {
            status: content_schema(response) for status, response in operation["responses"].items()
        },
        "scopes": security,
    }
    if set(schemes) - LOCATION_SCHEMES:
        facts["securitySchemes"] = schemes
    return facts


def extract(document: dict) -> dict:
    paths = {
        path: {
            method: operation_facts(operation)
            for method, operation in item.items()
            if method in METHODS
        }
        for path, item in document["paths"].items()
    }
    schemas = {
        name: schema_facts(schema)
        for name, schema in document.get("components", {}).get("schemas", {}).items()
    }
    return {"openapi": document["openapi"], "paths": paths, "components": {"schemas": schemas}}


def render(spec_path: Path) -> str:
    document = json.loads(spec_path.read_text())
    return json.dumps(extract(document), indent=1, sort_keys=True) + "\n"


def render_webhooks(spec_dir: Path) -> str:
    schemas = {
        event: schema_facts(
            json.loads(SCHEMA_BLOCK.search((spec_dir / f"webhook-{event}.md").read_text())[1])
        )
        for event in WEBHOOK_EVENTS
    }
    return json.dumps(schemas, indent=1, sort_keys=True) + "\n"


def main() -> None:
    spec_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SPEC_DIR
    for source, target in EDITIONS.items():
        extract_text = render(spec_dir / source)
        (OUT_DIR / target).write_text(extract_text)
        print(f"wrote {OUT_DIR / target}")
        if target in PACKAGED:
            PACKAGE_DIR.mkdir(exist_ok=True)
            (PACKAGE_DIR / target).write_text(extract_text)
            print(f"wrote {PACKAGE_DIR / target}")
    (OUT_DIR / WEBHOOKS_TARGET).write_text(render_webhooks(spec_dir))
    print(f"wrote {OUT_DIR / WEBHOOKS_TARGET}")


if __name__ == "__main__":
    main()
