"""Settings from `OPENCALENDARS_*` environment variables; CLI flags override them."""

import os
from dataclasses import dataclass

from opencalendars.http.rate_limits import DEFAULT_RATE_LIMITS, RateLimits, parse_rate_limits

DEFAULT_DATABASE_URL = "sqlite:///./opencalendars.db"
MAX_BODY_BYTES = 1024 * 1024
# A request line and headers beyond any real client's (browsers send a few KiB, cookies included).
MAX_HEADER_BYTES = 64 * 1024
# Slow clients (docs/operations.md): a request's headers must be complete this long after the
# connection is ready for it, and its body this long after its headers.
DEFAULT_HEADER_TIMEOUT_SECONDS = 10.0
DEFAULT_BODY_TIMEOUT_SECONDS = 30.0

# Webhook signature algorithms (docs/events.md): Ed25519 in `x-ghl-signature`, RSA in
# `x-wh-signature`.
ED25519 = "ed25519"
RSA = "rsa"
WEBHOOK_SIGNATURES_DEFAULT = (ED25519,)


def webhook_signatures(text: str | None) -> tuple[str, ...]:
    """`OPENCALENDARS_WEBHOOK_SIGNATURES`: `ed25519` (also when unset), `rsa`, or both
    (`ed25519,rsa`). Anything else is refused, so that a typo never silently changes which
    signatures receivers get."""
    if text is None or not text.strip():
        return WEBHOOK_SIGNATURES_DEFAULT
    names = [part.strip().lower() for part in text.split(",")]
    if any(name not in (ED25519, RSA) for name in names):
        raise ValueError(
            f"OPENCALENDARS_WEBHOOK_SIGNATURES={text!r} is not valid: use ed25519, rsa or"
            " ed25519,rsa"
        )
    return tuple(name for name in (ED25519, RSA) if name in names)


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # None disables the admin API entirely: every /admin path answers 404.
    admin_key: str | None = None
    # A PEM RSA private key to sign webhooks with; None: the key kept in the database.
    webhook_key_file: str | None = None
    # A PEM Ed25519 private key to sign webhooks with; None: the key kept in the database.
    webhook_ed25519_key_file: str | None = None
    # Which signatures webhooks carry: ("ed25519",), ("rsa",) or ("ed25519", "rsa").
    webhook_signatures: tuple[str, ...] = WEBHOOK_SIGNATURES_DEFAULT
    # Run a delivery worker inside each server process (`serve --with-worker`).
    with_worker: bool = False
    header_timeout_seconds: float = DEFAULT_HEADER_TIMEOUT_SECONDS
    body_timeout_seconds: float = DEFAULT_BODY_TIMEOUT_SECONDS
    # Per-token rate limits (http/rate_limits.py); None: off.
    rate_limits: RateLimits | None = DEFAULT_RATE_LIMITS
    # Where the rate limits' counters are shared; None: the database (http/rate_counters.py).
    redis_url: str | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=os.environ.get("OPENCALENDARS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            admin_key=os.environ.get("OPENCALENDARS_ADMIN_KEY") or None,
            webhook_key_file=os.environ.get("OPENCALENDARS_WEBHOOK_KEY_FILE") or None,
            webhook_ed25519_key_file=(
                os.environ.get("OPENCALENDARS_WEBHOOK_ED25519_KEY_FILE") or None
            ),
            webhook_signatures=webhook_signatures(
                os.environ.get("OPENCALENDARS_WEBHOOK_SIGNATURES")
            ),
            with_worker=os.environ.get("OPENCALENDARS_WITH_WORKER", "") in ("1", "true"),
            header_timeout_seconds=float(
                os.environ.get("OPENCALENDARS_HEADER_TIMEOUT_SECONDS")
                or DEFAULT_HEADER_TIMEOUT_SECONDS
            ),
            body_timeout_seconds=float(
                os.environ.get("OPENCALENDARS_BODY_TIMEOUT_SECONDS") or DEFAULT_BODY_TIMEOUT_SECONDS
            ),
            rate_limits=parse_rate_limits(os.environ.get("OPENCALENDARS_RATE_LIMITS")),
            redis_url=os.environ.get("OPENCALENDARS_REDIS_URL") or None,
        )
