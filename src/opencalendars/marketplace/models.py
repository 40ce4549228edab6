"""Marketplace apps (docs/marketplace.md): companies (agencies), apps, their installs, the
authorization codes and refresh tokens of the OAuth 2.0 flow (the key access tokens are signed
with is a server key: keys.py)."""

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base


class Company(Base):
    """An agency: it owns locations (`locations.company_id`) and installs agency apps."""

    __tablename__ = "companies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    date_added_ms: Mapped[int] = mapped_column(BigInteger)


class App(Base):
    __tablename__ = "apps"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    # `{id}-{suffix}`, as the live service's: the SDK's webhook handler reads the app id from it.
    client_id: Mapped[str] = mapped_column(String(96), unique=True)
    # SHA-256 of the secret, which is shown once: 256 random bits need no slow hash.
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    webhook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # "location": installed per location, its tokens are location tokens; "agency": installed
    # by a company, whose token turns into location tokens of the locations it is installed on.
    distribution: Mapped[str] = mapped_column(String(16))
    date_added_ms: Mapped[int] = mapped_column(BigInteger)


class AppInstall(Base):
    """An app on a location (`location_id`, with the location's company if it has one) or on a
    company (`location_id` None). Uninstalling keeps the row: its tokens stop at once."""

    __tablename__ = "app_installs"
    __table_args__ = (
        Index(None, "app_id", "location_id"),
        Index(None, "app_id", "company_id"),
        # One live install of an app per location, and per company: two consents racing
        # cannot both install (service.install reads the winner's).
        Index(
            "uq_app_installs_live_location",
            "app_id",
            "location_id",
            unique=True,
            sqlite_where=text("uninstalled_ms IS NULL AND location_id IS NOT NULL"),
            postgresql_where=text("uninstalled_ms IS NULL AND location_id IS NOT NULL"),
        ),
        Index(
            "uq_app_installs_live_company",
            "app_id",
            "company_id",
            unique=True,
            sqlite_where=text("uninstalled_ms IS NULL AND location_id IS NULL"),
            postgresql_where=text("uninstalled_ms IS NULL AND location_id IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    app_id: Mapped[str] = mapped_column(ForeignKey("apps.id"))
    company_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    location_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The scopes the operator granted: the app's, or fewer when the consent asked for fewer.
    scopes: Mapped[list[str]] = mapped_column(JSON)
    user_id: Mapped[str] = mapped_column(String(64))
    installed_ms: Mapped[int] = mapped_column(BigInteger)
    uninstalled_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AuthorizationCode(Base):
    """What consent hands the app: single use, 10 minutes on the server clock."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    install_id: Mapped[str] = mapped_column(ForeignKey("app_installs.id"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    expires_ms: Mapped[int] = mapped_column(BigInteger)
    used_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class RefreshToken(Base):
    """One refresh token of an install. Using it spends it (`used_ms`) and makes the next one:
    a spent or expired token is `invalid_grant`."""

    __tablename__ = "oauth_refresh_tokens"
    __table_args__ = (Index(None, "install_id"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    install_id: Mapped[str] = mapped_column(ForeignKey("app_installs.id"))
    # "Location" or "Company": the class of the access tokens it makes.
    user_type: Mapped[str] = mapped_column(String(16))
    # The location or company the access tokens are for.
    subject_id: Mapped[str] = mapped_column(String(64))
    expires_ms: Mapped[int] = mapped_column(BigInteger)
    used_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
