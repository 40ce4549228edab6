"""Who is calling: the bearer token, the API version, the operation's scope, the location.

Each contract route declares the scope of the spec's `security` field with
`Depends(authorize(scope))`, before any body or query parsing, so an unauthenticated
request learns nothing about the shape of its input.
"""

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Depends, Request

from opencalendars.context import LocationContext
from opencalendars.errors import BadRequest, Forbidden, Unauthorized
from opencalendars.http.rate_limits import LIMITER_KEY, answer_counted, count_request

API_VERSIONS = ("2021-04-15", "2021-07-28", "v3")
NOT_IN_SCOPE = "The token is not authorized for this scope."

CALENDAR_SCOPES = (
    "calendars.readonly",
    "calendars.write",
    "calendars/events.readonly",
    "calendars/events.write",
    "calendars/groups.readonly",
    "calendars/groups.write",
    "calendars/resources.readonly",
    "calendars/resources.write",
)
CONTACT_SCOPES = ("contacts.readonly", "contacts.write")
# Every scope a private token may carry.
ALL_SCOPES = CALENDAR_SCOPES + CONTACT_SCOPES
# The agency endpoints' scopes (`/oauth/locationToken`, `/oauth/installedLocations`).
OAUTH_SCOPES = ("oauth.readonly", "oauth.write")
# Every scope a marketplace app may ask for.
APP_SCOPES = ALL_SCOPES + OAUTH_SCOPES

INVALID_TOKEN = "Invalid token: access token is invalid"
# An app's access token that is not ours, is expired, or whose install is gone.
INVALID_JWT = "Invalid JWT"
# A company token on a location's route, or a location's token on an agency route.
WRONG_AUTH_CLASS = (
    "This authClass type is not allowed to access this scope. "
    "Please reach out to the Platform team to get it added."
)
LOCATION, COMPANY = "Location", "Company"


@dataclass(frozen=True)
class Caller:
    token_id: str
    location_id: str
    timezone: str
    scopes: frozenset[str]

    @property
    def context(self) -> LocationContext:
        """The token's location and its zone, as the services take them."""
        return LocationContext(self.location_id, self.timezone)

    def require_location(self, location_id: str) -> None:
        """403 when a request names a location other than the token's (PRODUCT §2)."""
        if location_id != self.location_id:
            raise Forbidden("The token does not have access to this location")


@dataclass(frozen=True)
class AppGrant:
    """What a marketplace app's access token grants (marketplace/tokens.py finds it)."""

    # Rate limits count per app per location or company (PRODUCT §12).
    rate_key: str
    auth_class: str  # LOCATION or COMPANY
    app_id: str
    location_id: str | None
    company_id: str | None
    timezone: str | None
    scopes: frozenset[str]


@dataclass(frozen=True)
class AgencyCaller:
    """A company token's holder, on the agency routes."""

    app_id: str
    company_id: str
    scopes: frozenset[str]


def hash_token(token: str) -> str:
    """SHA-256 of a secret: what `api_tokens` stores and every lookup compares."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Authorization header with a Bearer token is required")
    return token


def check_version(request: Request) -> None:
    version = request.headers.get("version")
    if version is None:
        raise BadRequest([f"Version header should not be empty ({', '.join(API_VERSIONS)})"])
    if version not in API_VERSIONS:
        raise BadRequest(
            [f"Version header must be one of the following values: {', '.join(API_VERSIONS)}"]
        )


class Tokens(Protocol):
    """How a token is found (`admin/tokens.TokenLookup`, on `app.state.tokens`)."""

    async def find(self, token_hash: str) -> tuple | None: ...


class AppTokens(Protocol):
    """How an app's access token is checked (`marketplace/tokens.AppTokenLookup`, on
    `app.state.app_tokens`)."""

    async def find(self, token: str) -> AppGrant | None: ...


def is_app_token(token: str) -> bool:
    """A JWT (three dot-separated parts): what a private token (`pit-…`) never is."""
    return token.count(".") == 2


async def find_app_grant(request: Request, token: str) -> AppGrant:
    """An app token's grant, its request counted per app and location (or company)."""
    app_tokens: AppTokens = request.app.state.app_tokens
    grant = await app_tokens.find(token)
    if grant is None:
        raise Unauthorized(INVALID_JWT)
    await count_request(request, grant.rate_key)
    return grant


def caller_of(row: tuple | None) -> Caller:
    if row is None:
        raise Unauthorized(INVALID_TOKEN)
    token_id, location_id, timezone, scopes = row
    return Caller(
        token_id=token_id, location_id=location_id, timezone=timezone, scopes=frozenset(scopes)
    )


async def find_caller(tokens: Tokens, token_hash: str) -> Caller:
    return caller_of(await tokens.find(token_hash))


async def find_counted_caller(request: Request, token: str) -> Caller:
    """The token's caller, its request counted by the rate limits (429 past a limit). A store
    that can (PostgreSQL) finds the token in the statement that counts it."""
    limiter = request.scope.get(LIMITER_KEY)
    tokens, token_hash = request.app.state.tokens, hash_token(token)
    if limiter is not None and limiter.finds_tokens:
        found = await limiter.find_and_count(token_hash)
        if found is None:  # the store failed: found the usual way, uncounted
            return await find_caller(tokens, token_hash)
        row, decision = found
        caller = caller_of(row)
        answer_counted(request, decision)
        return caller
    caller = await find_caller(tokens, token_hash)
    await count_request(request, caller.token_id)
    return caller


class Authorizer:
    """The dependency behind `authorize(scope)`; tests read `.scope` to compare with the spec."""

    def __init__(self, scope: str):
        if scope not in ALL_SCOPES:
            raise ValueError(f"unknown scope {scope}")
        self.scope = scope

    async def __call__(self, request: Request) -> Caller:
        # Rate limits count every request of a found token (429 past a limit).
        token = bearer_token(request)
        if is_app_token(token):
            caller = location_caller(await find_app_grant(request, token))
        else:
            caller = await find_counted_caller(request, token)
        check_version(request)
        if self.scope not in caller.scopes:
            # 401 with this message, as the live service answers (docs/fidelity.md).
            raise Unauthorized(NOT_IN_SCOPE)
        return caller


def location_caller(grant: AppGrant) -> Caller:
    if grant.auth_class != LOCATION:
        raise Unauthorized(WRONG_AUTH_CLASS)
    return Caller(
        token_id=grant.rate_key,
        location_id=grant.location_id,
        timezone=grant.timezone,
        scopes=grant.scopes,
    )


def authorize(scope: str) -> Any:
    return Depends(Authorizer(scope))


class AgencyAuthorizer:
    """The agency routes' dependency (the spec's `Agency-Access-Only`): a company token of a
    marketplace app, with the scope. `checks_version=False` leaves the `Version` header to the
    route, for one that answers its 400s in an envelope of its own (the v3 AIP errors)."""

    def __init__(self, scope: str, checks_version: bool = True):
        if scope not in OAUTH_SCOPES:
            raise ValueError(f"unknown agency scope {scope}")
        self.scope = scope
        self.checks_version = checks_version

    async def __call__(self, request: Request) -> AgencyCaller:
        token = bearer_token(request)
        if not is_app_token(token):
            # A private token is a location's: not an agency's.
            await find_counted_caller(request, token)
            raise Unauthorized(WRONG_AUTH_CLASS)
        grant = await find_app_grant(request, token)
        if self.checks_version:
            check_version(request)
        if grant.auth_class != COMPANY:
            raise Unauthorized(WRONG_AUTH_CLASS)
        if self.scope not in grant.scopes:
            raise Unauthorized(NOT_IN_SCOPE)
        return AgencyCaller(app_id=grant.app_id, company_id=grant.company_id, scopes=grant.scopes)


def authorize_agency(scope: str, checks_version: bool = True) -> Any:
    return Depends(AgencyAuthorizer(scope, checks_version))
