"""Finding an app's access token (a JWT, marketplace/jwt.py): what `http/auth.py` asks through
`app.state.app_tokens` for a bearer token that is not a private token.

One read per request: the install the token names (`jti`) must still be installed (with the
scopes it grants now), and the same statement brings the location's zone and the server clock
(a frozen clock expires tokens as the real one does). The signing secret is read once per
process: it never changes.
"""

import hashlib

from sqlalchemy import bindparam, select

from opencalendars.admin.models import Location
from opencalendars.clock import CLOCK_ROW_ID, ServerClock, real_now_ms
from opencalendars.db.database import Database
from opencalendars.db.prepared import PreparedRead
from opencalendars.http.auth import AppGrant
from opencalendars.marketplace import jwt
from opencalendars.marketplace.models import AppInstall
from opencalendars.marketplace.service import COMPANY, LOCATION, token_secret

_installs, _locations = AppInstall.__table__.c, Location.__table__.c
_frozen = (
    select(ServerClock.__table__.c.frozen_ms)
    .where(ServerClock.__table__.c.id == CLOCK_ROW_ID)
    .scalar_subquery()
)
_LIVE_INSTALL = PreparedRead(
    select(
        _installs.location_id, _installs.company_id, _installs.scopes, _locations.timezone, _frozen
    )
    .select_from(
        AppInstall.__table__.outerjoin(Location.__table__, _locations.id == _installs.location_id)
    )
    .where(_installs.id == bindparam("install_id"), _installs.uninstalled_ms.is_(None)),
    named=False,
)


def rate_key(app_id: str, subject: str) -> str:
    """What the rate limits count an app's requests under: one key per app per location (or
    company), whichever of its tokens is used; hashed to fit the counters' 64 characters."""
    return hashlib.sha256(f"app:{app_id}:{subject}".encode()).hexdigest()


class AppTokenLookup:
    def __init__(self, db: Database):
        self.db = db
        self._secret: bytes | None = None

    def signing_secret(self) -> bytes:
        """The secret tokens are signed with (read, or made, once per process)."""
        if self._secret is None:
            self._secret = token_secret(self.db)
        return self._secret

    async def secret(self) -> bytes:
        if self._secret is None:
            self._secret = await self.db.run_read(token_secret, self.db)
        return self._secret

    async def find(self, token: str) -> AppGrant | None:
        """What a valid, unexpired token of a live install grants, or None."""
        claims = jwt.decode(token, await self.secret())
        if claims is None:
            return None
        try:
            auth_class, subject = claims["authClass"], claims["authClassId"]
            app_id, scopes = claims["oauthMeta"]["client"], claims["oauthMeta"]["scopes"]
            install_id, expires_s = claims["jti"], int(claims["exp"])
        except (KeyError, TypeError, ValueError):
            return None
        row = await self.db.read_first(_LIVE_INSTALL, {"install_id": install_id})
        if row is None:
            return None
        location_id, company_id, granted, timezone, frozen_ms = row
        now_ms = real_now_ms() if frozen_ms is None else frozen_ms
        if expires_s * 1000 <= now_ms:
            return None
        if auth_class == LOCATION and location_id != subject:
            return None
        if auth_class == COMPANY and (location_id is not None or company_id != subject):
            return None
        return AppGrant(
            rate_key=rate_key(app_id, subject),
            auth_class=auth_class,
            app_id=app_id,
            location_id=location_id,
            company_id=company_id,
            timezone=timezone,
            # A consent given again with fewer scopes narrows the tokens made before it.
            scopes=frozenset(scopes) & frozenset(granted),
        )
