"""Settings: every `OPENCALENDARS_*` variable, read in one typed model (`Environment`).

Values come from the environment and from a `.env` file in the current directory; the environment
wins over the file, and CLI flags win over both. A value that makes no sense is refused when a
process starts, with one line naming the variable and what it accepts (`InvalidSetting`), so
that a typo never silently changes what a server does. The table of every variable is in
docs/operations.md ("Settings").

`Settings` is what the app is built from (`create_app`); tests build it directly. The delivery
worker reads its part of the same model (`events/worker.py`, `WorkerSettings.from_env`).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from opencalendars.db.database import (
    DEFAULT_REQUEST_THREADS,
    IN_MEMORY,
    MAX_REQUEST_THREADS,
    DatabaseUrlError,
    InMemoryDatabaseError,
    check_database_url,
    mask_url,
)
from opencalendars.http.rate_limits import (
    DEFAULT_RATE_LIMITS,
    InvalidRateLimits,
    RateLimits,
    parse_rate_limits,
)

ENV_PREFIX = "OPENCALENDARS_"
ENV_FILE = ".env"

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
WEBHOOK_SIGNATURES_ACCEPTS = "use ed25519, rsa or ed25519,rsa"

TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
BOOLEAN_ACCEPTS = "one of 1, 0, true, false, yes, no, on, off"
MAX_SECONDS = 86_400.0
MASK = "********"


class InvalidSetting(ValueError):
    """A setting that is refused: one line naming the variable and what it accepts. Processes
    refuse to start (`opencalendars` prints it and exits with status 2)."""


def _signature_names(text: str | None) -> tuple[str, ...] | None:
    """The chosen algorithms in a fixed order, or None when `text` is not valid."""
    if text is None or not text.strip():
        return WEBHOOK_SIGNATURES_DEFAULT
    names = [part.strip().lower() for part in text.split(",")]
    if any(name not in (ED25519, RSA) for name in names):
        return None
    return tuple(name for name in (ED25519, RSA) if name in names)


def webhook_signatures(text: str | None) -> tuple[str, ...]:
    """`OPENCALENDARS_WEBHOOK_SIGNATURES`: `ed25519` (also when unset), `rsa`, or both
    (`ed25519,rsa`). Anything else is refused, so that a typo never silently changes which
    signatures receivers get."""
    names = _signature_names(text)
    if names is None:
        raise InvalidSetting(
            f"{ENV_PREFIX}WEBHOOK_SIGNATURES={text!r} is not valid: {WEBHOOK_SIGNATURES_ACCEPTS}"
        )
    return names


def _boolean(value: Any) -> Any:
    """1/0, true/false, yes/no, on/off in any case; nothing else (pydantic's own `bool` would
    also take `t`, `n`, `f`, ...)."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(BOOLEAN_ACCEPTS)


Boolean = Annotated[bool, BeforeValidator(_boolean)]


def _whole(default: int, low: int, high: int) -> Any:
    return Field(default, ge=low, le=high, description=f"a whole number from {low} to {high}")


def _seconds(default: float) -> Any:
    return Field(
        default,
        gt=0,
        le=MAX_SECONDS,
        allow_inf_nan=False,
        description=f"a number of seconds above 0, at most {MAX_SECONDS:g}",
    )


# The algorithm of each key file's key.
KEY_FILES = {"webhook_key_file": RSA, "webhook_ed25519_key_file": ED25519}
# The schemes each URL setting accepts.
URL_SCHEMES = {
    "smtp_url": ("smtp", "smtps", "smtp+starttls"),
    "sms_webhook_url": ("http", "https"),
}


def _check_key_file(path: str, name: str) -> None:
    """A readable PEM file holding an unencrypted private key of the right algorithm (the same
    refusal `events/signing.py` would give when the worker loads it, but at start)."""
    kind = "an Ed25519" if name == ED25519 else "an RSA"
    try:
        pem = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(
            f"cannot read it ({reason}); use the path of a PEM file with {kind} private key"
        ) from None
    try:
        key = load_pem_private_key(pem, password=None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    key_type = ed25519.Ed25519PrivateKey if name == ED25519 else rsa.RSAPrivateKey
    if not isinstance(key, key_type):
        raise ValueError(f"the {name} webhook key must be {kind} private key in PEM")


class Environment(BaseSettings):
    """Every `OPENCALENDARS_*` setting (the field's name in upper case after the prefix).

    The rate limits and the signatures stay text here (their own syntax, checked here and
    parsed by `Settings.from_env`); everything else is typed. A field's `description` is what
    its variable accepts, as the refusal says it."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        # An empty variable is an unset one (`OPENCALENDARS_ADMIN_KEY=` leaves the admin API off).
        env_ignore_empty=True,
        # Other OPENCALENDARS_* variables (the tests' own) and other lines of `.env` are not ours.
        extra="ignore",
    )

    # The server.
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE",
    )
    admin_key: str | None = Field(None, description="any text; unset: no admin API")
    request_threads: int = _whole(DEFAULT_REQUEST_THREADS, 1, MAX_REQUEST_THREADS)
    with_worker: Boolean = Field(False, description=BOOLEAN_ACCEPTS)
    read_cache: Boolean = Field(True, description=BOOLEAN_ACCEPTS)
    header_timeout_seconds: float = _seconds(DEFAULT_HEADER_TIMEOUT_SECONDS)
    body_timeout_seconds: float = _seconds(DEFAULT_BODY_TIMEOUT_SECONDS)
    rate_limits: str | None = Field(
        None, description="on, off, or <requests>/<interval>,<requests>/day"
    )
    redis_url: str | None = Field(
        None, description="redis://[:PASSWORD@]HOST[:PORT][/DB], rediss://... or unix://PATH"
    )
    # Webhooks and notifications (docs/events.md); the server uses the key files and the
    # signatures too (GET /webhooks/public-key).
    webhook_signatures: str | None = Field(None, description=WEBHOOK_SIGNATURES_ACCEPTS)
    webhook_key_file: str | None = Field(
        None, description="the path of a PEM file with an RSA private key"
    )
    webhook_ed25519_key_file: str | None = Field(
        None, description="the path of a PEM file with an Ed25519 private key"
    )
    smtp_url: str | None = Field(
        None, description="smtp://[USER:PASSWORD@]HOST[:PORT], smtps://... or smtp+starttls://..."
    )
    sms_webhook_url: str | None = Field(None, description="an http:// or https:// URL")
    contact_email: str | None = Field(
        None, description="an address or a pattern such as {id}@contacts.example.com"
    )
    user_email: str | None = Field(
        None, description="an address or a pattern such as {id}@staff.example.com"
    )
    delivery_timeout_seconds: float = _seconds(10.0)
    max_attempts: int = _whole(8, 1, 1000)
    retry_base_seconds: float = _seconds(5.0)
    retry_cap_seconds: float = _seconds(3600.0)
    delivery_lease_seconds: float = _seconds(60.0)
    worker_poll_seconds: float = _seconds(1.0)
    worker_batch: int = _whole(16, 1, 256)
    # Calendar sync (docs/calendar-sync.md): the Fernet key(s) stored passwords are encrypted
    # with, and how often the worker syncs each connection.
    secret_key: str | None = Field(
        None,
        description="one or more Fernet keys, comma-separated; unset: no stored passwords",
    )
    sync_interval_minutes: int = _whole(10, 1, 1440)
    # Observability (docs/operations.md, "Logs" and "Metrics").
    log_format: Literal["text", "json"] = Field("text", description="text or json")
    metrics: Literal["off", "on", "admin"] = Field("off", description="off, on or admin")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, url: str) -> str:
        try:
            check_database_url(url)
        except InMemoryDatabaseError:
            raise ValueError(IN_MEMORY) from None
        except DatabaseUrlError:
            raise ValueError(cls.model_fields["database_url"].description) from None
        return url

    @field_validator("rate_limits")
    @classmethod
    def _rate_limits(cls, text: str | None) -> str | None:
        parse_rate_limits(text)  # InvalidRateLimits says why, in its own words
        return text

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, url: str | None) -> str | None:
        if url is not None:
            # redis-py's own parser, as the counters use it; imported only when it is set.
            from redis.connection import parse_url

            try:
                parse_url(url)
            except ValueError:
                raise ValueError(cls.model_fields["redis_url"].description) from None
        return url

    @field_validator("webhook_signatures")
    @classmethod
    def _webhook_signatures(cls, text: str | None) -> str | None:
        if _signature_names(text) is None:
            raise ValueError(WEBHOOK_SIGNATURES_ACCEPTS)
        return text

    @field_validator("webhook_key_file", "webhook_ed25519_key_file")
    @classmethod
    def _key_file(cls, path: str | None, info: ValidationInfo) -> str | None:
        if path is not None:
            _check_key_file(path, KEY_FILES[info.field_name])
        return path

    @field_validator("smtp_url", "sms_webhook_url")
    @classmethod
    def _url(cls, url: str | None, info: ValidationInfo) -> str | None:
        if url is None:
            return url
        try:
            parts = urlsplit(url)
            usable = parts.scheme.lower() in URL_SCHEMES[info.field_name] and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            usable = False
        if not usable:
            raise ValueError(cls.model_fields[info.field_name].description)
        return url

    @field_validator("contact_email", "user_email")
    @classmethod
    def _address_pattern(cls, pattern: str | None, info: ValidationInfo) -> str | None:
        if pattern is not None:
            try:
                pattern.format(id="x")
            except (KeyError, IndexError, ValueError):
                raise ValueError(
                    cls.model_fields[info.field_name].description
                    + " ({id} is the only placeholder; write {{ and }} for braces)"
                ) from None
        return pattern

    def lines(self) -> list[tuple[str, str]]:
        """(variable, value) of every setting as it is in effect, secrets masked: the admin key
        entirely, the password of a URL."""
        shown = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "rate_limits":
                text = format_rate_limits(parse_rate_limits(value))
            elif name == "webhook_signatures":
                text = ",".join(webhook_signatures(value))
            elif value is None:
                text = ""
            elif name in ("admin_key", "secret_key"):
                text = MASK
            elif name.endswith("_url"):
                text = mask_url(value)
            elif isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, float):
                text = f"{value:g}"
            else:
                text = str(value)
            shown.append((env_name(name), text))
        return shown


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def format_rate_limits(limits: RateLimits | None) -> str:
    """The `OPENCALENDARS_RATE_LIMITS` text of `limits`, in the largest exact unit."""
    if limits is None:
        return "off"
    interval = f"{limits.interval_ms}ms"
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if limits.interval_ms % size == 0:
            interval = f"{limits.interval_ms // size}{unit}"
            break
    return f"{limits.burst}/{interval},{limits.daily}/day"


def _refusal(error: ValidationError) -> ValueError:
    """The first problem, as one line: `NAME='value' is not valid: what it accepts`."""
    problem = error.errors()[0]
    field = str(problem["loc"][0]) if problem["loc"] else ""
    cause = (problem.get("ctx") or {}).get("error")
    if isinstance(cause, InvalidRateLimits):
        return cause  # already one line, with the syntax
    if problem["type"] == "value_error" and cause is not None:
        reason = str(cause)
    else:
        info = Environment.model_fields.get(field)
        reason = info.description if info is not None and info.description else problem["msg"]
    value = problem.get("input")
    if field == "admin_key":
        value = MASK
    elif isinstance(value, str) and field.endswith("_url"):
        value = mask_url(value)
    return InvalidSetting(f"{env_name(field)}={value!r} is not valid: {reason}")


def load_environment() -> Environment:
    """Every setting from the environment and `.env`; `InvalidSetting` (or `InvalidRateLimits`)
    for the first one that is refused."""
    try:
        return Environment()
    except ValidationError as error:
        raise _refusal(error) from None


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
    # Requests run at once per server process (app.py), and the database pool's size.
    request_threads: int = DEFAULT_REQUEST_THREADS
    # Free slots' rows kept while the database is unchanged (db/read_cache.py).
    read_cache: bool = True
    # Log lines as text or JSON (logs.py); `/metrics` off, open, or behind the admin key.
    log_format: Literal["text", "json"] = "text"
    metrics: Literal["off", "on", "admin"] = "off"

    @classmethod
    def from_env(cls) -> "Settings":
        env = load_environment()
        return cls(
            database_url=env.database_url,
            admin_key=env.admin_key,
            webhook_key_file=env.webhook_key_file,
            webhook_ed25519_key_file=env.webhook_ed25519_key_file,
            webhook_signatures=webhook_signatures(env.webhook_signatures),
            with_worker=env.with_worker,
            header_timeout_seconds=env.header_timeout_seconds,
            body_timeout_seconds=env.body_timeout_seconds,
            rate_limits=parse_rate_limits(env.rate_limits),
            redis_url=env.redis_url,
            request_threads=env.request_threads,
            read_cache=env.read_cache,
            log_format=env.log_format,
            metrics=env.metrics,
        )
