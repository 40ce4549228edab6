"""The operator's sign-in on the consent page: a signed session cookie and its CSRF token.

Nothing is stored: the cookie is `{expiry}.{nonce}.{signature}`, the expiry in epoch seconds of
real time (not the server clock: a frozen sandbox clock must not keep a session alive), signed
with HMAC-SHA256 under a key derived from the admin key, so changing the key signs everyone out.
The CSRF token of a form is an HMAC of the cookie under the same key: only a page this server
rendered for that session carries it.
"""

import hashlib
import hmac
import re
import secrets
import time

from starlette.responses import Response

COOKIE = "opencalendars_consent"
# The cookie goes back only to the consent routes (both spellings), never to the API.
COOKIE_PATHS = ("/oauth", "/v2/oauth")
SESSION_SECONDS = 12 * 3600
_SESSION = re.compile(r"(?P<expiry>[0-9]{1,12})\.(?P<nonce>[0-9a-f]{32})\.(?P<mac>[0-9a-f]{64})")


def _key(admin_key: str) -> bytes:
    return hmac.new(admin_key.encode(), b"opencalendars-consent-session", hashlib.sha256).digest()


def _mac(admin_key: str, message: str) -> str:
    return hmac.new(_key(admin_key), message.encode(), hashlib.sha256).hexdigest()


def new_session(admin_key: str, now: float | None = None) -> str:
    """A new session's cookie value."""
    expiry = int(now if now is not None else time.time()) + SESSION_SECONDS
    body = f"{expiry}.{secrets.token_hex(16)}"
    return f"{body}.{_mac(admin_key, 'session:' + body)}"


def valid_session(admin_key: str, value: str | None, now: float | None = None) -> bool:
    """Whether a cookie value is a session this key signed, not expired yet."""
    matched = _SESSION.fullmatch(value or "")
    if matched is None:
        return False
    body = f"{matched['expiry']}.{matched['nonce']}"
    if not hmac.compare_digest(matched["mac"], _mac(admin_key, "session:" + body)):
        return False
    return int(matched["expiry"]) > (now if now is not None else time.time())


def csrf_token(admin_key: str, session: str) -> str:
    return _mac(admin_key, "csrf:" + session)


def valid_csrf(admin_key: str, session: str, token: str | None) -> bool:
    return hmac.compare_digest((token or "").encode(), csrf_token(admin_key, session).encode())


def set_cookie(response: Response, value: str, secure: bool) -> None:
    for path in COOKIE_PATHS:
        response.set_cookie(
            COOKIE,
            value,
            max_age=SESSION_SECONDS,
            path=path,
            secure=secure,
            httponly=True,
            samesite="lax",
        )


def clear_cookie(response: Response, secure: bool) -> None:
    for path in COOKIE_PATHS:
        response.delete_cookie(COOKIE, path=path, secure=secure, httponly=True, samesite="lax")
