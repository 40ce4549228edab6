"""Settings from `OPENCALENDARS_*` environment variables; CLI flags override them."""

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///./opencalendars.db"
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # None disables the admin API entirely: every /admin path answers 404.
    admin_key: str | None = None
    # A PEM RSA private key to sign webhooks with; None: the key kept in the database.
    webhook_key_file: str | None = None
    # Run a delivery worker inside each server process (`serve --with-worker`).
    with_worker: bool = False

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=os.environ.get("OPENCALENDARS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            admin_key=os.environ.get("OPENCALENDARS_ADMIN_KEY") or None,
            webhook_key_file=os.environ.get("OPENCALENDARS_WEBHOOK_KEY_FILE") or None,
            with_worker=os.environ.get("OPENCALENDARS_WITH_WORKER", "") in ("1", "true"),
        )
