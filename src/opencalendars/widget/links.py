"""The widget's secret, its signed links and its CSRF tokens.

**The secret**: 32 random bytes made by the first process that needs them and kept in the
database (`oauth_token_keys`, under its own name, beside the access tokens' key), so that every
server process signs and checks alike and links survive a restart.

**Links** to an appointment (its confirmation, `.ics`, reschedule and cancel pages) carry
`{appointmentId}.{expiry}.{signature}`: the signature is HMAC-SHA256 under the secret of the
purpose, the appointment id and the expiry (epoch seconds of the server clock), so a link works
without a login, only for its appointment and its purpose, and not after its expiry. Nothing
about the link is stored.

**CSRF tokens** of the widget's forms are `{expiry}.{signature}`, an HMAC of what the form does
(`book:{calendarId}`, `cancel:{appointmentId}`...) and the expiry in real seconds. They are not
tied to a cookie: the widget lives in iframes on other sites, where browsers withhold cookies,
so a double-submit cookie would break every embedded booking. A token proves the form was
rendered by this server for this action, recently.
"""

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass

from opencalendars import keys
from opencalendars.db.database import Database

SECRET_NAME = "booking-widget"
CSRF_SECONDS = 4 * 3600
# Links to an appointment work until a day after it ends (confirmation, .ics) or until it starts
# (reschedule, cancel: the service refuses a past appointment anyway).
AFTER_END_SECONDS = 86_400
VIEW, ICS, RESCHEDULE, CANCEL = "view", "ics", "reschedule", "cancel"
PURPOSES = (VIEW, ICS, RESCHEDULE, CANCEL)
_LINK = re.compile(
    r"(?P<id>[A-Za-z0-9]{1,64})\.(?P<expiry>[0-9]{1,12})\.(?P<mac>[A-Za-z0-9_-]{43})"
)
_CSRF = re.compile(r"(?P<expiry>[0-9]{1,12})\.(?P<mac>[A-Za-z0-9_-]{43})")


def secret(db: Database) -> bytes:
    """The widget's key (keys.py): shared by every process, read once by each."""
    return keys.shared_secret(db, SECRET_NAME)


def _mac(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# --- links to an appointment -------------------------------------------------------------


def link_expiry_s(purpose: str, start_ms: int, end_ms: int) -> int:
    if purpose in (RESCHEDULE, CANCEL):
        return start_ms // 1000
    return end_ms // 1000 + AFTER_END_SECONDS


def sign_link(key: bytes, purpose: str, appointment_id: str, *, expiry_s: int) -> str:
    mac = _mac(key, f"link|{purpose}|{appointment_id}|{expiry_s}")
    return f"{appointment_id}.{expiry_s}.{mac}"


@dataclass(frozen=True)
class Link:
    appointment_id: str
    expiry_s: int


class BadLink(Exception):
    """Not a link this server signed for this purpose (404)."""


class ExpiredLink(Exception):
    """A link this server signed, past its expiry (410)."""


def check_link(key: bytes, purpose: str, token: str, *, now_ms: int) -> Link:
    """The appointment a link names; BadLink when tampered with, ExpiredLink when too old."""
    matched = _LINK.fullmatch(token)
    if matched is None:
        raise BadLink
    expected = _mac(key, f"link|{purpose}|{matched['id']}|{matched['expiry']}")
    if not hmac.compare_digest(expected, matched["mac"]):
        raise BadLink
    expiry = int(matched["expiry"])
    if expiry * 1000 <= now_ms:
        raise ExpiredLink
    return Link(matched["id"], expiry)


# --- CSRF tokens --------------------------------------------------------------------------


def csrf_token(key: bytes, action: str, now_s: float | None = None) -> str:
    expiry = int(now_s if now_s is not None else time.time()) + CSRF_SECONDS
    return f"{expiry}.{_mac(key, f'csrf|{action}|{expiry}')}"


def valid_csrf(key: bytes, action: str, token: str | None, *, now_s: float | None = None) -> bool:
    matched = _CSRF.fullmatch(token or "")
    if matched is None:
        return False
    expected = _mac(key, f"csrf|{action}|{matched['expiry']}")
    if not hmac.compare_digest(expected, matched["mac"]):
        return False
    now = now_s if now_s is not None else time.time()
    return now < int(matched["expiry"]) <= now + CSRF_SECONDS
