"""`/openapi.json` and `/docs`: the contract this server serves, readable offline.

One source for the contract: the facts-only extracts of the official specs shipped in the package
(`opencalendars/contract/calendars-v3.facts.json` and `contacts-v3.facts.json`, written by
`scripts/extract_spec.py`), kept to the operations the app really routes (method and path
template of every `APIRoute`). The two extracts share some schema names: the calendars' schemas
are kept as they are, and a served contacts operation may only reach a schema the calendars
define alike (`BadRequestDTO`...): the contacts notes schemas, named like the calendars' but
different, are not served (the build fails loudly if one ever is). The server's own paths
outside the specs (health checks, the webhook public key, the admin API when it is on) come from
FastAPI's generated document for just those routes, corrected where FastAPI cannot see what the
server does. Either way the document says what the server answers:

- request bodies (parsed by `json_body` dependencies, which FastAPI does not see): the spec's
  schema for contract operations, the Pydantic model's for ours;
- the `Version` header every contract operation checks (http/auth.py), with its accepted values;
- bearer security with the operation's scope, and the admin key for the admin API;
- the success status the route answers (the live service's where it differs from the spec:
  `DELETE /calendars/events/{eventId}` answers 200, docs/fidelity.md) with the spec's schema;
- 4xx answers in the one error envelope (errors.py); never FastAPI's 422 validation shape,
  which the server does not send (its validation errors are 400s), nor the 422 the Contacts
  spec lists on most operations (the contacts area answers invalid input 400, docs/contacts.md).

`/docs` loads Swagger UI 5 from the `fastapi-offline` package (MIT, maintained, depends on
FastAPI alone), served by this server under `/docs/assets`: nothing comes from a CDN. There is no
`/redoc`: ReDoc, offline too, still loads its logo from cdn.redoc.ly, and `/docs` is the page
that can call the API.
"""

import json
import re
import typing
from functools import cache
from http import HTTPStatus
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.params import Depends
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, TypeAdapter
from starlette.responses import HTMLResponse

from opencalendars.http.admin_key import require_admin
from opencalendars.http.auth import API_VERSIONS
from opencalendars.http.validation import json_body

CALENDARS_CONTRACT = "calendars-v3.facts.json"
CONTACTS_CONTRACT = "contacts-v3.facts.json"
# The extracts, in the order of their tags; the first one's schemas win a shared name.
CONTRACTS = (CALENDARS_CONTRACT, CONTACTS_CONTRACT)
# 4xx statuses an extract lists that the server never answers for its operations: the contacts
# area answers every invalid input 400 (docs/contacts.md), never the spec's 422.
UNANSWERED_ERRORS = {CONTACTS_CONTRACT: {422}}
OPENAPI_VERSION = "3.1.0"
# The edition HighLevel's own examples and most integrations send.
DEFAULT_VERSION = "2021-07-28"
ASSETS_URL = "/docs/assets"
ADMIN_TAG = "Admin"
BEARER = "bearer"
ADMIN_KEY = "adminKey"
ERROR_SCHEMA = "ErrorEnvelope"
SCHEMA_REF = "#/components/schemas/"
PATH_PARAMETER = re.compile(r"\{([^}:]+)\}")
# FastAPI's 422 shape: never answered (validation errors are 400s in the envelope).
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
# Every closure `json_body` returns shares this code object: how a body parameter is recognised.
_JSON_BODY_CODE = json_body(object).dependency.__code__

# The 4xx answers, each in the one envelope, and when the server gives them.
ERROR_RESPONSES = {
    400: ("BadRequest", "Invalid input, or a missing or unknown `Version` header."),
    401: ("Unauthorized", "No bearer token, an unknown or revoked one, or one without the scope."),
    403: ("Forbidden", "The request names a location other than the token's."),
    404: ("NotFound", "Nothing with that id in the token's location."),
    408: ("RequestTimeout", "The request body did not arrive in time."),
    413: ("PayloadTooLarge", "The request body is over 1 MiB."),
    422: ("Unprocessable", "A schedule whose rules or time zone cannot be used."),
    429: ("TooManyRequests", "Past the token's rate limit; see `Retry-After`."),
}

SWAGGER_UI_PARAMETERS = {
    # The token entered under "Authorize" survives a reload.
    "persistAuthorization": True,
    # The spec's operation ids (`create-appointment`), as the SDK names its methods.
    "displayOperationId": True,
    "docExpansion": "none",
    "filter": True,
    "tryItOutEnabled": False,
    # Swagger UI would otherwise ask validator.swagger.io about the document.
    "validatorUrl": None,
}


@cache
def extract(name: str) -> dict:
    """One facts-only extract of a v3 spec (package data; read, never changed)."""
    return json.loads(files("opencalendars").joinpath("contract", name).read_text())


@cache
def contract() -> dict:
    """The extracts as one: the paths of each (no path is in two), and their schemas, the
    calendars' kept as they are where the contacts extract names one alike. Whether a served
    operation reaches a schema its own extract defines otherwise is checked at build
    (`check_schemas`)."""
    paths: dict = {}
    schemas: dict = {}
    for name in CONTRACTS:
        facts = extract(name)
        shared = set(paths) & set(facts["paths"])
        if shared:
            raise ValueError(f"paths in two extracts: {sorted(shared)}")
        paths.update(facts["paths"])
        for schema_name, schema in facts["components"]["schemas"].items():
            schemas.setdefault(schema_name, schema)
    return {"paths": paths, "components": {"schemas": schemas}}


def source(path: str) -> str:
    """The extract that has this path."""
    return next(name for name in CONTRACTS if path in extract(name)["paths"])


def check_schemas(operation: dict, path: str) -> None:
    """Fail loudly if the operation reaches (through `$ref`s) a schema its own extract defines
    otherwise than the document's (the contacts notes schemas, named like the calendars')."""
    own = extract(source(path))["components"]["schemas"]
    merged = contract()["components"]["schemas"]
    clashes = sorted(name for name in referenced(operation, own) if merged[name] != own[name])
    if clashes:
        raise ValueError(
            f"{operation['operationId']} reaches schemas that {source(path)} defines otherwise "
            f"than {CONTRACTS[0]}: {clashes}"
        )


def served_routes(app: FastAPI) -> list[APIRoute]:
    return [
        route for route in app.routes if isinstance(route, APIRoute) and route.include_in_schema
    ]


def route_methods(route: APIRoute) -> list[str]:
    return sorted(method.lower() for method in route.methods if method != "HEAD")


def is_admin(route: APIRoute) -> bool:
    return any(dependency.call is require_admin for dependency in route.dependant.dependencies)


def body_type(route: APIRoute) -> Any:
    """What the route's `json_body` dependency parses, or None."""
    hints = typing.get_type_hints(route.endpoint, include_extras=True)
    for hint in hints.values():
        if typing.get_origin(hint) is not typing.Annotated:
            continue
        target, *metadata = typing.get_args(hint)
        for item in metadata:
            dependency = getattr(item, "dependency", None) if isinstance(item, Depends) else None
            if getattr(dependency, "__code__", None) is _JSON_BODY_CODE:
                return target
    return None


def json_content(schema: dict | None) -> dict:
    return {"content": {"application/json": {"schema": schema}}} if schema is not None else {}


def success(status: int, schema: dict | None = None) -> dict:
    return {str(status): {"description": HTTPStatus(status).phrase, **json_content(schema)}}


def error_refs(statuses: set[int]) -> dict:
    return {
        str(status): {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
        for status in sorted(statuses)
    }


def has_path_parameters(path: str) -> bool:
    return PATH_PARAMETER.search(path) is not None


def names_location(operation: dict, schemas: dict, route: APIRoute) -> bool:
    """Whether the request names a `locationId` (query or top-level body field, of the spec's
    body or of the model the route parses: the spec gives the contacts search body no
    properties): a location other than the token's is a 403."""
    if any(p["name"] == "locationId" for p in operation["parameters"]):
        return True
    body = (operation["requestBody"] or {}).get("schema") or {}
    if "locationId" in resolved_properties(body, schemas):
        return True
    target = body_type(route)
    return (
        isinstance(target, type)
        and issubclass(target, BaseModel)
        and "locationId" in target.model_fields
    )


def resolved_properties(schema: dict, schemas: dict) -> dict:
    if "$ref" in schema:
        return resolved_properties(schemas[schema["$ref"].removeprefix(SCHEMA_REF)], schemas)
    properties = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        properties.update(resolved_properties(part, schemas))
    return properties


def contract_operation(operation: dict, route: APIRoute, path: str, rate_limited: bool) -> dict:
    """One operation of the spec, as this route serves it."""
    schemas = contract()["components"]["schemas"]
    parameters = [
        {"$ref": "#/components/parameters/Version"}
        if (parameter["in"], parameter["name"]) == ("header", "Version")
        else {key: parameter[key] for key in ("name", "in", "required", "schema")}
        for parameter in operation["parameters"]
    ]
    # The spec forgets `noteId` in the path of two notes operations; the route has it.
    named = {
        parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "path"
    }
    parameters += [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in PATH_PARAMETER.findall(path)
        if name not in named
    ]
    spec_success = [status for status in operation["responses"] if status.startswith("2")]
    schema = operation["responses"][spec_success[0]] if spec_success else None
    errors = {int(status) for status in operation["responses"] if status.startswith("4")}
    errors -= UNANSWERED_ERRORS.get(source(path), set())
    errors |= {400, 401}
    if has_path_parameters(path):
        errors.add(404)
    if names_location(operation, schemas, route):
        errors.add(403)
    if operation["requestBody"]:
        errors |= {408, 413}
    if rate_limited:
        errors.add(429)
    documented = {
        "operationId": operation["operationId"],
        "tags": operation["tags"],
        "parameters": parameters,
        "responses": {**success(route.status_code or 200, schema), **error_refs(errors)},
        "security": [{BEARER: operation["scopes"]}],
    }
    if operation["requestBody"]:
        body = operation["requestBody"]
        documented["requestBody"] = {"required": body["required"], **json_content(body["schema"])}
    return documented


def body_schema(target: Any, schemas: dict) -> dict:
    """The JSON schema of a `json_body` target; models go into the components."""
    schema = TypeAdapter(target).json_schema(mode="validation", ref_template=SCHEMA_REF + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas[name] = definition
    if isinstance(target, type) and issubclass(target, BaseModel):
        schemas[target.__name__] = schema
        return {"$ref": SCHEMA_REF + target.__name__}
    return schema


def own_operations(app: FastAPI, routes: list[APIRoute], schemas: dict) -> dict:
    """The server's paths outside the spec: FastAPI's document for those routes, with the bodies
    `json_body` parses, the admin key, and 400s in the envelope instead of FastAPI's 422s."""
    generated = get_openapi(
        title=app.title, version=app.version, openapi_version=OPENAPI_VERSION, routes=routes
    )
    for name, schema in generated.get("components", {}).get("schemas", {}).items():
        if name not in FASTAPI_VALIDATION_SCHEMAS:
            schemas[name] = schema
    by_operation = {
        (method, route.path): route for route in routes for method in route_methods(route)
    }
    paths: dict = {}
    for path, item in generated["paths"].items():
        for method, operation in item.items():
            route = by_operation[(method, path)]
            errors = {400} if operation["responses"].pop("422", None) else set()
            target = body_type(route)
            if target is not None:
                schema = body_schema(target, schemas)
                required = bool(
                    schemas.get(schema.get("$ref", "").removeprefix(SCHEMA_REF), schema).get(
                        "required"
                    )
                )
                operation["requestBody"] = {"required": required, **json_content(schema)}
                errors |= {400, 408, 413}
            if is_admin(route):
                operation["tags"] = [ADMIN_TAG]
                operation["security"] = [{ADMIN_KEY: []}]
                errors.add(401)
                if has_path_parameters(path):
                    errors.add(404)
            else:
                operation["tags"] = [tag.capitalize() for tag in operation.get("tags", [])]
            operation["responses"].update(error_refs(errors))
            paths.setdefault(path, {})[method] = operation
    return paths


def error_components() -> dict:
    envelope = {
        "type": "object",
        "required": ["statusCode", "message", "error"],
        "properties": {
            "statusCode": {"type": "integer"},
            "message": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            },
            "error": {"type": "string"},
            "traceId": {"type": "string", "format": "uuid"},
        },
    }
    responses = {
        name: {"description": description, **json_content({"$ref": SCHEMA_REF + ERROR_SCHEMA})}
        for name, description in ERROR_RESPONSES.values()
    }
    return {"schema": envelope, "responses": responses}


def referenced(document: Any, schemas: dict) -> set[str]:
    """The component schemas the document refers to, directly or through other schemas."""
    found: set[str] = set()
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
                name = ref.removeprefix(SCHEMA_REF)
                if name not in found:
                    found.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def tag_order(paths: dict) -> list[str]:
    used = {tag for item in paths.values() for op in item.values() for tag in op["tags"]}
    spec = [
        tag
        for item in contract()["paths"].values()
        for operation in item.values()
        for tag in operation["tags"]
    ]
    own = sorted(used - set(spec), key=lambda tag: (tag == ADMIN_TAG, tag))
    return [tag for tag in dict.fromkeys(spec) if tag in used] + own


def build_openapi(app: FastAPI) -> dict:
    facts = contract()
    rate_limited = getattr(app.state, "settings", None) is not None and (
        app.state.settings.rate_limits is not None
    )
    schemas = dict(facts["components"]["schemas"])
    paths: dict = {}
    own: list[APIRoute] = []
    for route in served_routes(app):
        spec_item = facts["paths"].get(route.path, {})
        if all(method in spec_item for method in route_methods(route)):
            for method in route_methods(route):
                check_schemas(spec_item[method], route.path)
                operation = contract_operation(spec_item[method], route, route.path, rate_limited)
                paths.setdefault(route.path, {})[method] = operation
        else:
            own.append(route)
    spec_schemas = set(schemas)
    for path, item in own_operations(app, own, schemas).items():
        paths.setdefault(path, {}).update(item)
    clashes = spec_schemas & (set(schemas) - spec_schemas)
    if clashes:
        raise ValueError(f"schemas named like the spec's: {sorted(clashes)}")
    errors = error_components()
    schemas[ERROR_SCHEMA] = errors["schema"]
    security_schemes = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "A location's token (`opencalendars token create`, or the demo's).",
        }
    }
    uses_admin_key = any(
        op.get("security") == [{ADMIN_KEY: []}] for item in paths.values() for op in item.values()
    )
    if uses_admin_key:
        security_schemes[ADMIN_KEY] = {
            "type": "http",
            "scheme": "bearer",
            "description": "The operator's key, `OPENCALENDARS_ADMIN_KEY`.",
        }
    components = {
        "parameters": {
            "Version": {
                "name": "Version",
                "in": "header",
                "required": True,
                "description": "The API edition; every contract operation checks it.",
                "schema": {
                    "type": "string",
                    "enum": list(API_VERSIONS),
                    "default": DEFAULT_VERSION,
                },
                "example": DEFAULT_VERSION,
            }
        },
        "responses": errors["responses"],
        "securitySchemes": security_schemes,
    }
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": app.title,
            "version": app.version,
            "description": (
                f"{app.description}\n\nThe HighLevel Calendars API operations and the scheduling "
                "subset of the Contacts API (v3 specs) as this server serves them, and its own "
                "paths. Every JSON object answer also carries a `traceId`. Contacts answer every "
                "edition alike: where editions spell a key differently, the answer carries both "
                "(`succeeded` and `succeded`)."
            ),
        },
        # The specs' groups first, in the extracts' order (calendars, then contacts), then the
        # server's own.
        "tags": [{"name": tag} for tag in tag_order(paths)],
        "paths": dict(sorted(paths.items())),
        "components": components,
    }
    used = referenced({"paths": document["paths"], "components": components}, schemas)
    components["schemas"] = {name: schemas[name] for name in sorted(used)}
    return document


def install_docs(app: FastAPI) -> None:
    """`/openapi.json` built from the contract (computed once, on first use) and `/docs`
    (Swagger UI), its assets served from the `fastapi-offline` package."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    assets = files("fastapi_offline").joinpath("static")
    app.mount(ASSETS_URL, StaticFiles(directory=str(assets)), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    app.add_route("/docs", swagger_ui, include_in_schema=False)
