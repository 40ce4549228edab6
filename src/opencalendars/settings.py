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

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            database_url=os.environ.get("OPENCALENDARS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            admin_key=os.environ.get("OPENCALENDARS_ADMIN_KEY") or None,
        )
