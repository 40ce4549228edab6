"""Finding a request's token: the one lookup every authenticated request makes.

The HTTP layer knows no area (docs/architecture.md): `http/auth.py` asks the `TokenLookup`
that `create_app` puts on `app.state.tokens`, and gets back the row it turns into a `Caller`.
"""

from sqlalchemy import bindparam, select

from opencalendars.admin.models import ApiToken, Location
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead

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

    async def find(self, token_hash: str) -> tuple | None:
        """`(token id, location id, location zone, scopes)`, or None."""
        return await self.db.run_read(self.db.first_row, _LIVE_TOKEN, {"token_hash": token_hash})

    def sql(self) -> str:
        """The lookup's SQL on this database, for a rate-limit store that counts in the same
        statement (http/rate_counters.py)."""
        return _LIVE_TOKEN.compiled(self.db.engine.dialect).compiled.string
