"""Access tokens: compact JWS (RFC 7515) with HS256, the claims shaped like the live service's.

Only this server reads them, so a shared secret is enough; the claims are still the ones a
developer sees when decoding a live token (docs/marketplace.md, "Access tokens"):
`authClass` (Location or Company), `authClassId`, `source` "INTEGRATION", `sourceId` (the
client id), `channel` "OAUTH", `primaryAuthClassId`, `oauthMeta` (`scopes`, `client` (the app
id), `clientKey` (the client id), `versionId`), `iat` and `exp` (seconds, server clock), and
`jti`, which names the install (so uninstalling stops the token at once).
"""

import base64
import hashlib
import hmac
from typing import Any

import orjson

HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER_PART = _b64(orjson.dumps(HEADER))


def encode(claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_HEADER_PART}.{_b64(orjson.dumps(claims))}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def looks_like_jwt(token: str) -> bool:
    """Three dot-separated parts: what a private token (`pit-…`) never is."""
    return token.count(".") == 2


def decode(token: str, secret: bytes) -> dict[str, Any] | None:
    """The claims of a token signed with `secret` by `encode`, or None (not a JWT, another
    algorithm, a bad signature or unreadable claims). Expiry is the caller's: it reads the
    server clock."""
    header_part, _, rest = token.partition(".")
    claims_part, _, signature_part = rest.partition(".")
    if header_part != _HEADER_PART:  # HS256 only: never `alg: none` or another key type
        return None
    signing_input = f"{header_part}.{claims_part}".encode()
    expected = hmac.new(secret, signing_input, hashlib.sha256).digest()
    try:
        signature = _unb64(signature_part)
        if not hmac.compare_digest(signature, expected):
            return None
        claims = orjson.loads(_unb64(claims_part))
    except (ValueError, orjson.JSONDecodeError):
        return None
    return claims if isinstance(claims, dict) else None
