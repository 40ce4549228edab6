"""Calendar sync's settings and the key connection passwords are encrypted with.

Read like every `OPENCALENDARS_*` setting, through settings.py (the environment, else `./.env`):

- `OPENCALENDARS_SECRET_KEY`: one or more Fernet keys, comma-separated (the first encrypts,
  every one decrypts, so a key can be rotated). Unset: no connection can store a password.
  Make one with `python -c "from cryptography.fernet import Fernet;
  print(Fernet.generate_key().decode())"`.
- `OPENCALENDARS_SYNC_INTERVAL_MINUTES`: how often the worker syncs each connection (default 10).
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from opencalendars.errors import BadRequest
from opencalendars.settings import Environment, load_environment

SECRET_KEY_VARIABLE = "OPENCALENDARS_SECRET_KEY"
DEFAULT_INTERVAL_MINUTES = Environment.model_fields["sync_interval_minutes"].default
GENERATE_HINT = (
    'make one with: python -c "from cryptography.fernet import Fernet;'
    ' print(Fernet.generate_key().decode())"'
)


def environment() -> Environment:
    """The settings as they are now (the environment, else `./.env`): a key set or changed
    while the server runs is used from the next request on."""
    return load_environment()


def interval_ms() -> int:
    """`OPENCALENDARS_SYNC_INTERVAL_MINUTES` in ms (the default when it is not a whole number
    from 1 to 1440: the worker must not stop over it)."""
    try:
        minutes = environment().sync_interval_minutes
    except ValueError:
        minutes = DEFAULT_INTERVAL_MINUTES
    return minutes * 60_000


class KeyMissing(BadRequest):
    """No usable `OPENCALENDARS_SECRET_KEY`: a password cannot be stored or read."""


def _cipher() -> MultiFernet:
    text = environment().secret_key
    if not text:
        raise KeyMissing(
            f"{SECRET_KEY_VARIABLE} is not set: a password cannot be stored"
            f" (docs/calendar-sync.md; {GENERATE_HINT})"
        )
    try:
        return MultiFernet([Fernet(part.strip().encode()) for part in text.split(",")])
    except (ValueError, TypeError):
        raise KeyMissing(
            f"{SECRET_KEY_VARIABLE} is not a valid Fernet key (32 url-safe base64-encoded"
            f" bytes; several comma-separated): {GENERATE_HINT}"
        ) from None


def encrypt(password: str) -> str:
    return _cipher().encrypt(password.encode()).decode()


def decrypt(token: str) -> str:
    """The password; `KeyMissing` when the key is unset, changed or wrong."""
    cipher = _cipher()
    try:
        return cipher.decrypt(token.encode()).decode()
    except InvalidToken:
        raise KeyMissing(
            f"the stored password cannot be decrypted with {SECRET_KEY_VARIABLE}: was the key"
            " changed? Add the old key after the new one (comma-separated), or set the"
            " password again"
        ) from None
