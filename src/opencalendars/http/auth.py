"""Who is calling: the bearer token, the API version, the operation's scope, the location.

Each contract route declares the scope of the spec's `security` field with
`Depends(authorize(scope))`, before any body or query parsing, so an unauthenticated
request learns nothing about the shape of its input.
"""

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Depends, Request

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
# Every scope a token may carry.
ALL_SCOPES = CALENDAR_SCOPES + CONTACT_SCOPES

INVALID_TOKEN = "Invalid token: access token is invalid"


@dataclass(frozen=True)
class Caller:
    token_id: str
    location_id: str
    timezone: str
    scopes: frozenset[str]

    def require_location(self, location_id: str) -> None:
        """403 when a request names a location other than the token's (PRODUCT §2)."""
        if location_id != self.location_id:
            raise Forbidden("The token does not have access to this location")


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
        caller = await find_counted_caller(request, bearer_token(request))
        check_version(request)
        if self.scope not in caller.scopes:
            # 401 with this message, as the live service answers (docs/fidelity.md).
            raise Unauthorized(NOT_IN_SCOPE)
        return caller


def authorize(scope: str) -> Any:
    return Depends(Authorizer(scope))
