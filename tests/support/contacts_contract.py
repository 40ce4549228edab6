"""The Contacts extract (`tests/contract/contacts-*.facts.json`) and answers checked against it.

The served subset is ten operations (docs/contacts.md). Answers are held to the spec's response
schema of their edition with exactly these allowances, each documented in docs/contacts.md:

- `CustomFieldSchema.value` is typed string, but a custom field's value is what the client set:
  a number, a boolean, an array of strings or an object (the create DTO's NumericField,
  CheckboxField, FileField...), answered as it was given.
- The two operations whose 200 has no schema in the spec answer shapes built from the spec's
  own schemas: search `{"contacts": [ContactsSearchSchema + searchAfter], "total": number}`,
  the duplicate lookup `{"contact": <the edition's contact schema> or null}`.
- Bare `{"type": "object"}` / `{"type": "array"}` (NestJS `Date`s) also admit a string, as for
  the calendars (support/contract.py).
"""

import copy
import json
from functools import cache

import jsonschema

from support.contract import CONTRACT_DIR, _dates_as_strings

CONTACTS_V3 = "contacts-v3.facts.json"
CONTACTS_V2021 = "contacts-2021-07-28.facts.json"
VERSIONS = {CONTACTS_V3: "v3", CONTACTS_V2021: "2021-07-28"}
# The edition's contact schema, as GET answers it.
CONTACT_SCHEMA = {CONTACTS_V3: "GetContactByIdSchemaV3", CONTACTS_V2021: "GetContectByIdSchema"}

# (method, path) -> operationId of the ten served operations.
SERVED_CONTACTS = {
    ("post", "/contacts/"): "create-contact",
    ("get", "/contacts/{contactId}"): "get-contact",
    ("put", "/contacts/{contactId}"): "update-contact",
    ("delete", "/contacts/{contactId}"): "delete-contact",
    ("post", "/contacts/upsert"): "upsert-contact",
    ("post", "/contacts/search"): "search-contacts-advanced",
    ("get", "/contacts/search/duplicate"): "get-duplicate-contact",
    ("get", "/contacts/{contactId}/appointments"): "get-appointments-for-contact",
    ("post", "/contacts/{contactId}/tags"): "add-tags",
    ("delete", "/contacts/{contactId}/tags"): "remove-tags",
}


@cache
def contacts_contract(edition: str = CONTACTS_V3) -> dict:
    return json.loads((CONTRACT_DIR / edition).read_text())


def contacts_operation(path: str, method: str, edition: str = CONTACTS_V3) -> dict:
    return contacts_contract(edition)["paths"][path][method.lower()]


def answer_shapes(edition: str) -> dict:
    """Our shapes for the two answers the spec leaves without a schema."""
    schemas = "#/components/schemas/"
    searched = {"allOf": [{"$ref": schemas + "ContactsSearchSchema"}]}
    searched["properties"] = {"searchAfter": {"type": "array", "minItems": 2, "maxItems": 2}}
    return {
        ("/contacts/search", "post", "200"): {
            "type": "object",
            "required": ["contacts", "total"],
            "properties": {
                "contacts": {"type": "array", "items": searched},
                "total": {"type": "number"},
            },
        },
        ("/contacts/search/duplicate", "get", "200"): {
            "type": "object",
            "required": ["contact"],
            "properties": {
                "contact": {
                    "anyOf": [{"type": "null"}, {"$ref": schemas + CONTACT_SCHEMA[edition]}]
                }
            },
        },
    }


def live_components(edition: str) -> dict:
    components = copy.deepcopy(contacts_contract(edition)["components"])
    value = components["schemas"]["CustomFieldSchema"]["properties"]["value"]
    value.clear()  # any JSON value
    return components


def response_schema(path: str, method: str, status: int, edition: str = CONTACTS_V3) -> dict | None:
    responses = contacts_operation(path, method, edition)["responses"]
    if str(status) not in responses:
        return None
    return answer_shapes(edition).get((path, method.lower(), str(status))) or responses[str(status)]


def contact_response_errors(
    path: str, method: str, status: int, body, edition: str = CONTACTS_V3
) -> list[str]:
    """Every way `body` breaks the edition's response schema for that status (empty: valid)."""
    schema = response_schema(path, method, status, edition)
    if schema is None:
        return [f"status {status} is not documented for {method.upper()} {path}"]
    document = _dates_as_strings({"allOf": [schema], "components": live_components(edition)})
    validator = jsonschema.Draft7Validator(document)
    return [
        f"{'/'.join(map(str, error.path))}: {error.message}"
        for error in validator.iter_errors(body)
    ]
