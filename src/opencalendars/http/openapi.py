"""`/openapi.json` and `/docs`: the contract this server serves, readable offline.

One source for the contract: the facts-only extracts of the official specs shipped in the package
(`opencalendars/contract/calendars-v3.facts.json`, `contacts-v3.facts.json`, and the OAuth API's
two editions `oauth-v3.facts.json` and `oauth.facts.json`, written by `scripts/extract_spec.py`),
kept to the operations the app really routes (method and path template of every `APIRoute`).
The OAuth editions are one API: where both have a path (`/oauth/token`) v3's operation and
schemas are documented, the edition the official SDK speaks; the 2021-07-28 edition adds the
paths it alone has (`/oauth/locationToken`, `/oauth/installedLocations`). Distinct APIs never
share a path. They share some schema names: the calendars' schemas are kept as they are, and a
served contacts operation may only reach a schema the calendars define alike (`BadRequestDTO`...):
the contacts notes schemas, named like the calendars' but different, are not served (the build
fails loudly if one ever is). The server's own paths outside the specs (health checks, the
webhook public key, the admin API when it is on) come from FastAPI's generated document for just
those routes, corrected where FastAPI cannot see what the server does. Either way the document
says what the server answers:

- request bodies (parsed by `json_body` dependencies, which FastAPI does not see): the spec's
  schema for contract operations, under the spec's media types (the OAuth forms), the Pydantic
  model's for ours;
- the `Version` header every contract operation checks (http/auth.py), with its accepted values;
- bearer security with the operation's scope (none for the token endpoint, which the spec leaves
  open), and the admin key for the admin API;
- the success status the route answers (the live service's where it differs from the spec:
  `DELETE /calendars/events/{eventId}` answers 200, docs/fidelity.md) with the spec's schema;
- 4xx answers in the one error envelope (errors.py); never FastAPI's 422 validation shape,
  which the server does not send (its validation errors are 400s), nor the 422 the Contacts and
  OAuth specs list on most operations (those areas answer invalid input 400, docs/contacts.md,
  docs/marketplace.md). Two exceptions, as the OAuth specs have them: the token endpoint refuses
  in RFC 6749's format (`OAuthError`), and where the v3 spec answers `AipErrorResponseDto` the
  operation does so (`error.code`, `error.message`), but for the 400s of the checks that come
  before it (the `Version` header, the query's validation), which are the envelope.

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
OAUTH_CONTRACT = "oauth-v3.facts.json"
OAUTH_2021_CONTRACT = "oauth.facts.json"
# The APIs, in the order of their tags, each as its editions. An API's first edition wins a path
# (and a schema name) its editions share: the OAuth API's is v3, the edition the official SDK
# speaks (`Version: v3`, camelCase fields); its 2021-07-28 edition adds only its own paths. No
# path is in two APIs, and the first API's schemas win a name two APIs define.
APIS = ((CALENDARS_CONTRACT,), (CONTACTS_CONTRACT,), (OAUTH_CONTRACT, OAUTH_2021_CONTRACT))
CONTRACTS = tuple(name for editions in APIS for name in editions)
# A later edition's operation whose id its API's first edition has too is documented with its
# edition after the id (`get-installed-location-2021-07-28`): an operation id is unique.
EDITION_NAMES = {OAUTH_2021_CONTRACT: "2021-07-28"}
# 4xx statuses an extract lists that the server never answers for its operations: the contacts
# and marketplace areas answer every invalid input 400 (docs/contacts.md, docs/marketplace.md),
# never the spec's 422.
UNANSWERED_ERRORS = {
    CONTACTS_CONTRACT: {422},
    OAUTH_CONTRACT: {422},
    OAUTH_2021_CONTRACT: {422},
}
# 4xx statuses the server answers that an edition's spec does not list, by operation id: the
# installed locations of an app other than the token's are a 404 in both editions (only v3 lists
# it).
ANSWERED_ERRORS = {"get-installed-location": {404}}
OPENAPI_VERSION = "3.1.0"
# The edition HighLevel's own examples and most integrations send.
DEFAULT_VERSION = "2021-07-28"
ASSETS_URL = "/docs/assets"
ADMIN_TAG = "Admin"
BEARER = "bearer"
ADMIN_KEY = "adminKey"
ERROR_SCHEMA = "ErrorEnvelope"
# The token endpoint's refusals, in RFC 6749's format with the envelope's fields beside.
OAUTH_ERROR_SCHEMA = "OAuthError"
OAUTH_ERROR_OPERATIONS = {"get-access-token"}
OAUTH_ERROR_RESPONSES = {
    400: (
        "OAuthBadRequest",
        "A missing or invalid field, or a code or refresh token that is "
        "invalid, used or expired (`invalid_request`, `invalid_grant`, "
        "`unsupported_grant_type`).",
    ),
    401: (
        "OAuthUnauthorized",
        "An unknown `client_id` or a wrong `client_secret` (`invalid_client`).",
    ),
}
# The v3 spec's error answer (`{"error": {"code", "message"}}`), which the operations that list it
# answer (with the envelope's `statusCode` and `message` beside).
AIP_SCHEMA = "AipErrorResponseDto"
AIP_RESPONSES = {
    400: (
        "AipBadRequest",
        "Invalid input (`INVALID_ARGUMENT`): a missing or unknown `Version` header, a missing "
        "or out-of-bounds query parameter, another company's id, a page token not of this list.",
    ),
    404: ("AipNotFound", "Not found (`NOT_FOUND`): an app id other than the token's app."),
}
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
def api_contract(editions: tuple[str, ...]) -> dict:
    """One API's editions as one: its first edition's paths and schemas, and those a later one
    alone has. A schema a later edition names alike must be the first's or the first's less some
    properties: the 2021-07-28 OAuth edition's `GetLocationAccessTokenSuccessfulResponseDto`,
    to which v3 adds the `refresh_token` the server answers in both."""
    paths: dict = {}
    schemas: dict = {}
    for name in editions:
        facts = extract(name)
        for path, item in facts["paths"].items():
            paths.setdefault(path, item)
        for schema_name, schema in facts["components"]["schemas"].items():
            kept = schemas.setdefault(schema_name, schema)
            if not narrows(schema, kept):
                raise ValueError(f"{name} defines {schema_name} otherwise than {editions[0]}")
    return {"paths": paths, "components": {"schemas": schemas}}


def narrows(schema: dict, kept: dict) -> bool:
    """Whether `schema` is `kept`, or `kept` less some of its properties."""
    if "properties" not in schema:
        return schema == kept
    properties = kept.get("properties", {})
    less = {name: properties.get(name) for name in schema["properties"]}
    return {**kept, "properties": less} == schema


@cache
def contract() -> dict:
    """The APIs as one: the paths of each (no path is in two APIs), and their schemas, the
    calendars' kept as they are where the contacts extract names one alike. Whether a served
    operation reaches a schema its own API defines otherwise is checked at build
    (`check_schemas`)."""
    paths: dict = {}
    schemas: dict = {}
    for editions in APIS:
        facts = api_contract(editions)
        shared = set(paths) & set(facts["paths"])
        if shared:
            raise ValueError(f"paths in two extracts: {sorted(shared)}")
        paths.update(facts["paths"])
        for schema_name, schema in facts["components"]["schemas"].items():
            schemas.setdefault(schema_name, schema)
    return {"paths": paths, "components": {"schemas": schemas}}


def source(path: str) -> str:
    """The extract whose operations this path documents (an API's first edition that has it)."""
    return next(name for name in CONTRACTS if path in extract(name)["paths"])


def api_of(name: str) -> tuple[str, ...]:
    """The editions of the API this extract is one of."""
    return next(editions for editions in APIS if name in editions)


def operation_id(operation: dict, path: str) -> str:
    """The operation's id in the document: the spec's, or the spec's and its edition's for a
    later edition's operation its API's first edition has an operation of the same id."""
    name = source(path)
    first = api_of(name)[0]
    taken = {op["operationId"] for item in extract(first)["paths"].values() for op in item.values()}
    if name == first or operation["operationId"] not in taken:
        return operation["operationId"]
    return f"{operation['operationId']}-{EDITION_NAMES[name]}"


def check_schemas(operation: dict, path: str) -> None:
    """Fail loudly if the operation reaches (through `$ref`s) a schema its own API defines
    otherwise than the document's (the contacts notes schemas, named like the calendars')."""
    own = api_contract(api_of(source(path)))["components"]["schemas"]
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


def body_content(body: dict) -> dict:
    """A contract operation's request body: the spec's schema under each of its media types
    (JSON unless the extract names others, as for the OAuth forms)."""
    media_types = body.get("mediaTypes", ["application/json"])
    return {"content": {media_type: {"schema": body["schema"]} for media_type in media_types}}


def success(status: int, schema: dict | None = None) -> dict:
    return {str(status): {"description": HTTPStatus(status).phrase, **json_content(schema)}}


def error_refs(statuses: set[int], special: dict[int, tuple[str, str]] | None = None) -> dict:
    """The error answers by reference: the envelope's, or the `special` one of a status."""
    named = {**ERROR_RESPONSES, **(special or {})}
    return {
        str(status): {"$ref": f"#/components/responses/{named[status][0]}"}
        for status in sorted(statuses)
    }


def has_path_parameters(path: str) -> bool:
    return PATH_PARAMETER.search(path) is not None


def is_secured(operation: dict) -> bool:
    """Whether the spec asks a token for the operation (every one but the token endpoint)."""
    return bool(operation["scopes"] or operation.get("securitySchemes"))


def names_location(operation: dict, schemas: dict, route: APIRoute) -> bool:
    """Whether the request names a `locationId` (query or top-level body field, of the spec's
    body or of the model the route parses: the spec gives the contacts search body no
    properties) with a location's token: a location other than the token's is a 403. (The
    agency operations, whose token is a company's, answer a location outside it 400.)"""
    if "securitySchemes" in operation or not is_secured(operation):
        return False
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


def contract_operation(operation: dict, route: APIRoute, path: str, *, rate_limited: bool) -> dict:
    """One operation of the spec, as this route serves it."""
    schemas = contract()["components"]["schemas"]
    parameters = [
        version_parameter(operation)
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
    errors |= {400, 401} | ANSWERED_ERRORS.get(operation["operationId"], set())
    if has_path_parameters(path):
        errors.add(404)
    if names_location(operation, schemas, route):
        errors.add(403)
    if operation["requestBody"]:
        errors |= {408, 413}
    if rate_limited and is_secured(operation):
        errors.add(429)
    documented = {
        "operationId": operation_id(operation, path),
        "tags": operation["tags"],
        "parameters": parameters,
        "responses": {
            **success(route.status_code or 200, schema),
            **error_refs(errors, special_errors(operation)),
        },
    }
    if is_secured(operation):
        documented["security"] = [{BEARER: operation["scopes"]}]
    if operation["requestBody"]:
        body = operation["requestBody"]
        documented["requestBody"] = {"required": body["required"], **body_content(body)}
    return documented


def version_parameter(operation: dict) -> dict:
    """The `Version` header: the one every operation with a token checks (http/auth.py); the
    token endpoint reads none (its 2021-07-28 edition has none, v3's lists one): optional."""
    if is_secured(operation):
        return {"$ref": "#/components/parameters/Version"}
    return {
        "name": "Version",
        "in": "header",
        "required": False,
        "description": "Not checked: the token endpoint answers every edition alike.",
        "schema": {"type": "string", "enum": list(API_VERSIONS)},
    }


def special_errors(operation: dict) -> dict[int, tuple[str, str]]:
    """The error answers of the operation that are not the envelope: the token endpoint's
    OAuth errors, and the v3 AIP error where the spec lists it."""
    if operation["operationId"] in OAUTH_ERROR_OPERATIONS:
        return OAUTH_ERROR_RESPONSES
    aip = {"$ref": SCHEMA_REF + AIP_SCHEMA}
    return {
        status: response
        for status, response in AIP_RESPONSES.items()
        if operation["responses"].get(str(status)) == aip
    }


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
    """The envelope and its answers; the OAuth error and the answers of the OAuth and AIP
    errors (`build_openapi` keeps those only where an operation refers to them)."""
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
    oauth_error = {
        "type": "object",
        "required": ["error", "error_description", "statusCode", "message"],
        "properties": {
            "error": {"type": "string", "description": "The RFC 6749 error code."},
            "error_description": {"type": "string"},
            "statusCode": {"type": "integer"},
            "message": {"type": "string"},
            "traceId": {"type": "string", "format": "uuid"},
        },
    }
    responses = {
        name: {"description": description, **json_content({"$ref": SCHEMA_REF + ERROR_SCHEMA})}
        for name, description in ERROR_RESPONSES.values()
    }
    optional = {
        name: {
            "description": description,
            **json_content({"$ref": SCHEMA_REF + OAUTH_ERROR_SCHEMA}),
        }
        for name, description in OAUTH_ERROR_RESPONSES.values()
    }
    aip = {"$ref": SCHEMA_REF + AIP_SCHEMA}
    for name, description in AIP_RESPONSES.values():
        optional[name] = {"description": description, **json_content(aip)}
    return {
        "schema": envelope,
        "oauth_schema": oauth_error,
        "responses": responses,
        "optional_responses": optional,
    }


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
                operation = contract_operation(
                    spec_item[method], route, route.path, rate_limited=rate_limited
                )
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
    schemas[OAUTH_ERROR_SCHEMA] = errors["oauth_schema"]
    responses = dict(errors["responses"])
    referred = {
        response["$ref"].rsplit("/", 1)[1]
        for item in paths.values()
        for operation in item.values()
        for response in operation["responses"].values()
        if "$ref" in response
    }
    responses.update(
        {name: answer for name, answer in errors["optional_responses"].items() if name in referred}
    )
    security_schemes = {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A location's token (`opencalendars token create`, or the demo's), or a "
                "marketplace app's access token (`POST /oauth/token`): a location's for the "
                "Calendars and Contacts operations, a company's for the agency operations "
                "(`/oauth/locationToken`, `/oauth/installedLocations` and their v3 spellings)."
            ),
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
        "responses": responses,
        "securitySchemes": security_schemes,
    }
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": app.title,
            "version": app.version,
            "description": (
                f"{app.description}\n\nThe HighLevel Calendars API operations and the scheduling "
                "subset of the Contacts API (v3 specs), and the OAuth 2.0 API (the v3 spec, and "
                "the 2021-07-28 edition's paths v3 spells otherwise), as this server serves "
                "them, and its own paths. Every JSON object answer also carries a `traceId`. "
                "Contacts answer every edition alike: where editions spell a key differently, "
                "the answer carries both (`succeeded` and `succeded`); so does the OAuth API "
                "(`access_token` and `accessToken`), whose token endpoint also reads the "
                "2021-07-28 edition's snake_case fields (`client_id`...)."
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
