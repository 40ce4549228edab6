"""Finding a request's token: the one lookup every authenticated request makes.

The HTTP layer knows no area (docs/architecture.md): `http/auth.py` asks the `TokenLookup`
that `create_app` puts on `app.state.tokens`, and gets back the row it turns into a `Caller`.

On PostgreSQL the found rows are kept in the process (db/notified_cache.py): a revocation, a
deleted token or a location's new zone empties every process's cache when it commits (the
triggers of migration 0017), so a revoked token is refused everywhere within milliseconds. On
SQLite the lookup is a few microseconds of local file access: nothing is kept.
"""

from sqlalchemy import bindparam, select

from opencalendars.admin.models import ApiToken, Location
from opencalendars.db.database import Database, libpq_conninfo
from opencalendars.db.notified_cache import NotifiedCache
from opencalendars.db.prepared import PreparedRead

# What migration 0017's triggers notify.
TOKENS_CHANNEL = "opencalendars_tokens"

_tokens, _locations = ApiToken.__table__.c, Location.__table__.c
# Built once: every request runs it. One row: id, location_id, timezone, scopes.
_LIVE_TOKEN = PreparedRead(
    select(_tokens.id, _tokens.location_id, _locations.timezone, _tokens.scopes)
    .join_from(ApiToken.__table__, Location.__table__, _locations.id == _tokens.location_id)
    .where(_tokens.token_hash == bindparam("token_hash"), _tokens.revoked_ms.is_(None))
)


class TokenLookup:
    """A live (not revoked) token by the hash of its secret (`http.auth.hash_token`), with its
    location's zone."""

    def __init__(self, db: Database):
        self.db = db
        self._cache = (
            None if db.is_sqlite else NotifiedCache(libpq_conninfo(db.url), TOKENS_CHANNEL)
        )

    async def find(self, token_hash: str) -> tuple | None:
        """`(token id, location id, location zone, scopes)`, or None."""
        if self._cache is None:
            return await self._read(token_hash)
        return await self._cache.find(token_hash, lambda: self._read(token_hash))

    def forget(self) -> None:
        """After this process changed tokens or locations: its next request reads them anew
        (other processes hear of it from the triggers' notification)."""
        if self._cache is not None:
            self._cache.forget()

    async def _read(self, token_hash: str) -> tuple | None:
        row = await self.db.read_first(_LIVE_TOKEN, {"token_hash": token_hash})
        # The scopes as a tuple: a kept row is shared by requests and must not change.
        return None if row is None else (*row[:3], tuple(row[3]))

    def sql(self) -> str:
        """The lookup's SQL on this database, for a rate-limit store that counts in the same
        statement (http/rate_counters.py)."""
        return _LIVE_TOKEN.compiled(self.db.engine.dialect).compiled.string
