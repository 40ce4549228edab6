"""Wire shapes of the marketplace: the admin API's companies, apps and installs (ours), and the
OAuth endpoints' forms and answers (spec/oauth.openapi.json, spec/oauth-v3.openapi.json)."""

import base64
import json
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import Field, field_validator

from opencalendars.errors import BadRequest
from opencalendars.http.auth import APP_SCOPES
from opencalendars.http.times import iso_utc_ms
from opencalendars.http.validation import RequestDTO
from opencalendars.marketplace.errors import OAuthError
from opencalendars.marketplace.service import InstalledQuery, TokenRequest

NonEmpty = Annotated[str, Field(min_length=1, max_length=255)]
Url = Annotated[str, Field(min_length=1, max_length=2048)]
MAX_REDIRECT_URIS = 20


def absolute_url(value: str) -> str:
    """An http(s) URL with a host and no fragment (RFC 6749 §3.1.2)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        raise ValueError("must be an absolute http(s) URL without a fragment")
    return value


class CompanyCreateDTO(RequestDTO):
    name: NonEmpty
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None


class AppCreateDTO(RequestDTO):
    name: NonEmpty
    redirectUris: Annotated[list[Url], Field(min_length=1, max_length=MAX_REDIRECT_URIS)]
    scopes: Annotated[list[str], Field(min_length=1, max_length=len(APP_SCOPES))]
    webhookUrl: Url | None = None
    distribution: Literal["location", "agency"] = "location"

    @field_validator("redirectUris")
    @classmethod
    def absolute_urls(cls, value: list[str]) -> list[str]:
        return [absolute_url(each) for each in value]

    @field_validator("webhookUrl")
    @classmethod
    def absolute_webhook(cls, value: str | None) -> str | None:
        return None if value is None else absolute_url(value)

    @field_validator("scopes")
    @classmethod
    def known_scopes(cls, value: list[str]) -> list[str]:
        unknown = [scope for scope in value if scope not in APP_SCOPES]
        if unknown:
            raise ValueError(f"must only contain {', '.join(APP_SCOPES)}")
        return value


class InstallCreateDTO(RequestDTO):
    appId: NonEmpty
    locationId: NonEmpty | None = None
    companyId: NonEmpty | None = None
    redirectUri: Url
    scopes: Annotated[list[str], Field(max_length=len(APP_SCOPES))] | None = None


def company_dto(company) -> dict:
    return {"id": company.id, "name": company.name, "dateAdded": iso_utc_ms(company.date_added_ms)}


def app_dto(app) -> dict:
    return {
        "id": app.id,
        "name": app.name,
        "clientId": app.client_id,
        "redirectUris": list(app.redirect_uris),
        "scopes": list(app.scopes),
        "webhookUrl": app.webhook_url,
        "distribution": app.distribution,
        "dateAdded": iso_utc_ms(app.date_added_ms),
    }


def install_dto(found) -> dict:
    return {
        "id": found.id,
        "appId": found.app_id,
        "locationId": found.location_id,
        "companyId": found.company_id,
        "userType": "Company" if found.location_id is None else "Location",
        "scopes": list(found.scopes),
        "userId": found.user_id,
        "installed": found.uninstalled_ms is None,
        "installedAt": iso_utc_ms(found.installed_ms),
        "uninstalledAt": None if found.uninstalled_ms is None else iso_utc_ms(found.uninstalled_ms),
    }


# --- the OAuth endpoints' forms -----------------------------------------------------------

MAX_FIELD = 4096
# A grant has seven fields, in either spelling: more is not a grant.
MAX_FIELDS = 32


def form_fields(content_type: str, raw: bytes) -> dict[str, str]:
    """A form-encoded body (what the spec and the SDK send) or, as the v3 spec allows, a JSON
    object; each field once, as text."""
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            fields = json.loads(raw)
        except ValueError:
            raise OAuthError(400, "invalid_request", "The body is not valid JSON") from None
        if not isinstance(fields, dict):
            raise OAuthError(400, "invalid_request", "The body must be a JSON object")
        if len(fields) > MAX_FIELDS:
            raise OAuthError(400, "invalid_request", "The body has too many fields")
        return {key: value for key, value in fields.items() if isinstance(value, str)}
    try:
        parsed = parse_qs(raw.decode(), max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise OAuthError(400, "invalid_request", "The body is not UTF-8") from None
    except ValueError:  # more fields than any grant has
        raise OAuthError(400, "invalid_request", "The body has too many fields") from None
    repeated = [key for key, values in parsed.items() if len(values) > 1]
    if repeated:
        raise OAuthError(400, "invalid_request", f"{repeated[0]} is given more than once")
    return {key: values[0] for key, values in parsed.items()}


def either(fields: dict[str, str], snake: str, camel: str) -> str | None:
    """A field in the spec's snake_case or the camelCase the SDK sends when it refreshes."""
    value = fields.get(snake) or fields.get(camel)
    if value is not None and len(value) > MAX_FIELD:
        raise OAuthError(400, "invalid_request", f"{snake} is too long")
    return value


def token_request(fields: dict[str, str]) -> TokenRequest:
    client_id = either(fields, "client_id", "clientId")
    client_secret = either(fields, "client_secret", "clientSecret")
    grant_type = either(fields, "grant_type", "grantType")
    for name, value in (
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("grant_type", grant_type),
    ):
        if not value:
            raise OAuthError(400, "invalid_request", f"{name} is required")
    return TokenRequest(
        client_id=client_id,
        client_secret=client_secret,
        grant_type=grant_type,
        code=either(fields, "code", "code"),
        refresh_token=either(fields, "refresh_token", "refreshToken"),
        user_type=either(fields, "user_type", "userType"),
        redirect_uri=either(fields, "redirect_uri", "redirectUri"),
    )


def required_field(fields: dict[str, str], name: str, snake: str) -> str:
    """A field of the agency forms: the spec's camelCase, or the snake_case the official SDK's
    webhook handler and token fallback send (`company_id`, `location_id`)."""
    value = fields.get(name) or fields.get(snake)
    if not value:
        raise BadRequest([f"{name} should not be empty"])
    if len(value) > 255:
        raise BadRequest([f"{name} must be shorter than or equal to 255 characters"])
    return value


# --- installed locations ------------------------------------------------------------------


def installed_location_dto(location) -> dict:
    answer = {
        "_id": location.id,
        "name": location.name,
        # Locations here have no postal address.
        "address": "",
        "isInstalled": location.installed_ms is not None,
    }
    if location.installed_ms is not None:
        answer["installedAt"] = iso_utc_ms(location.installed_ms)
    return answer


def query_flag(name: str, value: str | None) -> bool | None:
    if value is None:
        return None
    if value not in ("true", "false"):
        raise BadRequest([f"{name} must be a boolean value"])
    return value == "true"


def query_text(name: str, value: str | None, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise BadRequest([f"{name} should not be empty"])
        return None
    if len(value) > 255:
        raise BadRequest([f"{name} must be shorter than or equal to 255 characters"])
    return value


def installed_query(
    *,
    companyId: str | None,
    appId: str | None,
    query: str | None,
    isInstalled: str | None,
    locationId: str | None,
    versionId: str | None,
    onTrial: str | None,
    planId: str | None,
) -> InstalledQuery:
    """The installed-locations filters of either edition, checked."""
    return InstalledQuery(
        company_id=query_text("companyId", companyId, required=True),
        app_id=query_text("appId", appId, required=True),
        query=query_text("query", query),
        is_installed=query_flag("isInstalled", isInstalled),
        location_id=query_text("locationId", locationId),
        version_id=query_text("versionId", versionId),
        on_trial=query_flag("onTrial", onTrial),
        plan_id=query_text("planId", planId),
    )


def page_size(value: str | None, largest: int) -> int:
    if value is None:
        return 20
    try:
        size = int(value)
    except ValueError:
        size = 0
    if not 1 <= size <= largest:
        raise BadRequest([f"pageSize must be a whole number from 1 to {largest}"])
    return size


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def page_offset(token: str | None) -> int:
    """The offset a `pageToken` of `page_token` names; 400 for anything else."""
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, _, number = text.partition(":")
        offset = int(number)
    except ValueError:
        offset, kind = -1, ""
    if kind != "o" or offset < 0 or offset > 10**9:
        raise BadRequest(["pageToken is not a page token of this list"])
    return offset
