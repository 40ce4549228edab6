"""Locations (tenants) and their API tokens."""

from sqlalchemy import JSON, BigInteger, Boolean, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))
    date_added_ms: Mapped[int] = mapped_column(BigInteger)
    # Contacts (docs/contacts.md). ISO 3166-1 alpha-2: the country a phone number without `+` is
    # read in (None: US, as HighLevel reads it).
    country: Mapped[str | None] = mapped_column(String(2), nullable=True, default=None)
    # HighLevel's "Allow Duplicate Contact": contacts may share an email or a phone number.
    allow_duplicate_contacts: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Bookings name a live contact of the location (docs/contacts.md). On for locations created
    # since contacts exist; off (the column's default) for those created before.
    require_contacts: Mapped[bool] = mapped_column(Boolean, default=True, server_default=false())
    # The company (agency) that owns it, if any (docs/marketplace.md).
    company_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class ApiToken(LocationScoped, Base):
    __tablename__ = "api_tokens"
    __table_args__ = (Index(None, "location_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the secret: tokens are 122 random bits, so a fast hash is enough and
    # lets every request find its token with one indexed lookup.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    date_added_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
