"""Marketplace apps: companies, apps, installs, and the OAuth 2.0 grants (docs/marketplace.md).

Every grant spends what it is given (a code, a refresh token) with one conditional UPDATE
(`... WHERE used_ms IS NULL`): two requests racing with the same code both reach the row, the
second waits for the first's commit, finds it spent and matches nothing, on PostgreSQL's READ
COMMITTED as on SQLite's one writer. So a code or a refresh token makes tokens once.
"""

import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opencalendars import clock, keys
from opencalendars.admin.models import Location
from opencalendars.db.database import Database
from opencalendars.errors import BadRequest, Conflict, NotFound
from opencalendars.events import emit
from opencalendars.http.auth import COMPANY, LOCATION, AgencyCaller, hash_token
from opencalendars.ids import new_id
from opencalendars.marketplace import jwt, webhooks
from opencalendars.marketplace.errors import OAuthError
from opencalendars.marketplace.models import (
    App,
    AppInstall,
    AuthorizationCode,
    Company,
    RefreshToken,
)
from opencalendars.units import DAY_MS, MINUTE_MS

ACCESS_TOKEN_SECONDS = 86_399  # what the live service answers in `expires_in`
REFRESH_TOKEN_MS = 365 * DAY_MS
CODE_MS = 10 * MINUTE_MS
DISTRIBUTIONS = ("location", "agency")
TOKEN_KEY_NAME = "access-tokens"


# --- companies and apps -------------------------------------------------------------------


def create_company(db: Database, name: str, company_id: str | None) -> Company:
    """409 for an id taken, before or by a create racing this one (the primary key)."""
    taken = Conflict(f"Company {company_id} already exists")
    try:
        with db.write() as session:
            if company_id is not None and session.get(Company, company_id) is not None:
                raise taken
            company = Company(
                id=company_id or new_id(), name=name, date_added_ms=clock.now_ms(session)
            )
            session.add(company)
    except IntegrityError:
        raise taken from None
    return company


def list_companies(db: Database) -> list[Company]:
    with db.read() as session:
        return list(session.scalars(select(Company).order_by(Company.date_added_ms, Company.id)))


def create_app(
    db: Database,
    *,
    name: str,
    redirect_uris: list[str],
    scopes: list[str],
    webhook_url: str | None,
    distribution: str,
) -> tuple[App, str]:
    """A new app and its client secret, shown here and never again."""
    app_id = new_id()
    secret = secrets.token_hex(16)
    with db.write() as session:
        app = App(
            id=app_id,
            name=name,
            # The live service's shape: the app id, a dash, a short suffix.
            client_id=f"{app_id}-{secrets.token_hex(4)}",
            client_secret_hash=hash_token(secret),
            redirect_uris=list(dict.fromkeys(redirect_uris)),
            scopes=list(dict.fromkeys(scopes)),
            webhook_url=webhook_url,
            distribution=distribution,
            date_added_ms=clock.now_ms(session),
        )
        session.add(app)
    return app, secret


def list_apps(db: Database) -> list[App]:
    with db.read() as session:
        return list(session.scalars(select(App).order_by(App.date_added_ms, App.id)))


def get_app(session: Session, app_id: str) -> App:
    app = session.get(App, app_id)
    if app is None:
        raise NotFound("App not found")
    return app


# --- installs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where an app is installed: a location (with its company, if any) or a company."""

    location_id: str | None
    company_id: str | None

    @property
    def user_type(self) -> str:
        return COMPANY if self.location_id is None else LOCATION


def install_target(
    session: Session, app: App, location_id: str | None, *, company_id: str | None
) -> Target:
    """Checks what an install names against the app's distribution: a location app installs
    on a location; an agency app on a company, or on a location of a company it is installed
    on (the locations its company token can make location tokens for)."""
    if (location_id is None) == (company_id is None):
        raise BadRequest(["Exactly one of locationId and companyId is required"])
    if company_id is not None:
        if app.distribution != "agency":
            raise BadRequest(["This app installs per location: give a locationId"])
        if session.get(Company, company_id) is None:
            raise NotFound("Company not found")
        return Target(location_id=None, company_id=company_id)
    location = session.get(Location, location_id)
    if location is None:
        raise NotFound("Location not found")
    if app.distribution == "agency" and not company_has(session, app, location.company_id):
        raise BadRequest(["An agency app installs on a location of a company it is installed on"])
    return Target(location_id=location.id, company_id=location.company_id)


def company_has(session: Session, app: App, company_id: str | None) -> bool:
    """Whether the app is installed on the company (a location's, maybe None)."""
    if company_id is None:
        return False
    return live_install(session, app.id, Target(None, company_id)) is not None


def live_install(session: Session, app_id: str, target: Target) -> AppInstall | None:
    query = select(AppInstall).where(
        AppInstall.app_id == app_id, AppInstall.uninstalled_ms.is_(None)
    )
    if target.location_id is not None:
        query = query.where(AppInstall.location_id == target.location_id)
    else:
        query = query.where(
            AppInstall.company_id == target.company_id, AppInstall.location_id.is_(None)
        )
    return session.scalars(query.order_by(AppInstall.installed_ms)).first()


def granted_scopes(app: App, asked: list[str] | None) -> list[str]:
    """What consent grants: the scopes asked for, each one the app's; all of the app's when
    none are named."""
    if not asked:
        return list(app.scopes)
    missing = [scope for scope in asked if scope not in app.scopes]
    if missing:
        raise BadRequest([f"The app does not have the scope {', '.join(missing)}"])
    return list(dict.fromkeys(asked))


def install(
    session: Session,
    app: App,
    target: Target,
    *,
    redirect_uri: str,
    scopes: list[str],
    now_ms: int,
) -> tuple[AppInstall, str]:
    """The consent: the app's install on the target (a new one, with its `INSTALL` webhook,
    or the live one with the scopes now granted) and an authorization code for it."""
    if redirect_uri not in app.redirect_uris:
        raise BadRequest(["redirectUri is not one of the app's redirect URIs"])
    found = live_install(session, app.id, target)
    created = (
        None
        if found is not None
        else new_install(session, app, target, scopes=scopes, now_ms=now_ms)
    )
    if found is None and created is None:  # a racing consent installed it: theirs
        found = live_install(session, app.id, target)
    if created is not None:
        found = created
        emit.app_event(
            session,
            "INSTALL",
            app.webhook_url,
            location_id=target.location_id,
            body=webhooks.install_body(session, app, found, now_ms=now_ms),
            now_ms=now_ms,
        )
    else:
        found.scopes = scopes
    code = secrets.token_urlsafe(32)
    session.add(
        AuthorizationCode(
            code_hash=hash_token(code),
            install_id=found.id,
            redirect_uri=redirect_uri,
            expires_ms=now_ms + CODE_MS,
        )
    )
    return found, code


def new_install(
    session: Session, app: App, target: Target, *, scopes: list[str], now_ms: int
) -> AppInstall | None:
    """The app's new install on the target; None when a consent racing this one installed it
    first (the unique index on live installs refuses a second: PostgreSQL's READ COMMITTED lets
    both read "none"). The caller then reads the winner's."""
    made = AppInstall(
        id=new_id(),
        app_id=app.id,
        company_id=target.company_id,
        location_id=target.location_id,
        scopes=scopes,
        user_id=new_id(),
        installed_ms=now_ms,
    )
    try:
        with session.begin_nested():
            session.add(made)
    except IntegrityError:
        return None
    return made


def admin_install(
    db: Database,
    *,
    app_id: str,
    location_id: str | None,
    company_id: str | None,
    redirect_uri: str,
    scopes: list[str] | None,
) -> tuple[AppInstall, str]:
    """The consent given without a browser (for scripts and CI)."""
    with db.write() as session:
        app = get_app(session, app_id)
        target = install_target(session, app, location_id, company_id=company_id)
        return install(
            session,
            app,
            target,
            redirect_uri=redirect_uri,
            scopes=granted_scopes(app, scopes),
            now_ms=clock.now_ms(session),
        )


def list_installs(db: Database, app_id: str | None) -> list[AppInstall]:
    query = select(AppInstall).order_by(AppInstall.installed_ms, AppInstall.id)
    if app_id is not None:
        query = query.where(AppInstall.app_id == app_id)
    with db.read() as session:
        return list(session.scalars(query))


def uninstall(db: Database, install_id: str) -> AppInstall:
    """Uninstalls (its tokens stop at once: every request checks its install) with the
    `UNINSTALL` webhook. A company's uninstall takes the app off its locations too."""
    with db.write() as session:
        found = session.scalar(
            select(AppInstall).where(AppInstall.id == install_id).with_for_update()
        )
        if found is None:
            raise NotFound("Install not found")
        if found.uninstalled_ms is not None:
            return found
        now_ms = clock.now_ms(session)
        app = session.get(App, found.app_id)
        ended = [found]
        if found.location_id is None:
            ended += session.scalars(
                select(AppInstall)
                .where(
                    AppInstall.app_id == found.app_id,
                    AppInstall.company_id == found.company_id,
                    AppInstall.location_id.is_not(None),
                    AppInstall.uninstalled_ms.is_(None),
                )
                .with_for_update()
            ).all()
        for each in ended:
            each.uninstalled_ms = now_ms
            emit.app_event(
                session,
                "UNINSTALL",
                app.webhook_url,
                location_id=each.location_id,
                body=webhooks.uninstall_body(app, each, now_ms),
                now_ms=now_ms,
            )
    return found


# --- tokens -------------------------------------------------------------------------------


def token_secret(db: Database) -> bytes:
    """The secret access tokens are signed with, shared by every process."""
    return keys.shared_secret(db, TOKEN_KEY_NAME)


def access_claims(app: App, found: AppInstall, user_type: str, *, now_ms: int) -> dict:
    subject = found.location_id if user_type == LOCATION else found.company_id
    return {
        "authClass": user_type,
        "authClassId": subject,
        "source": "INTEGRATION",
        "sourceId": app.client_id,
        "channel": "OAUTH",
        "primaryAuthClassId": subject,
        "oauthMeta": {
            "scopes": list(found.scopes),
            "client": app.id,
            "clientKey": app.client_id,
            "versionId": app.id,
        },
        "iat": now_ms // 1000,
        "exp": now_ms // 1000 + ACCESS_TOKEN_SECONDS,
        "jti": found.id,
    }


def issue_tokens(
    session: Session, secret: bytes, app: App, *, found: AppInstall, user_type: str, now_ms: int
) -> dict:
    """A new access token and refresh token for an install: the answer of every grant."""
    refresh = secrets.token_urlsafe(48)
    subject = found.location_id if user_type == LOCATION else found.company_id
    session.add(
        RefreshToken(
            token_hash=hash_token(refresh),
            install_id=found.id,
            user_type=user_type,
            subject_id=subject,
            expires_ms=now_ms + REFRESH_TOKEN_MS,
        )
    )
    access = jwt.encode(access_claims(app, found, user_type, now_ms=now_ms), secret)
    return {
        "access_token": access,
        "refresh_token": refresh,
        "scope": " ".join(found.scopes),
        "user_type": user_type,
        "subject_id": subject,
    }


@dataclass(frozen=True)
class TokenRequest:
    """`POST /oauth/token`'s fields, read from either spelling (marketplace/schemas.py)."""

    client_id: str
    client_secret: str
    grant_type: str
    code: str | None
    refresh_token: str | None
    user_type: str | None
    redirect_uri: str | None


def client_app(session: Session, client_id: str, client_secret: str) -> App:
    app = session.scalar(select(App).where(App.client_id == client_id))
    if app is None or not hmac.compare_digest(app.client_secret_hash, hash_token(client_secret)):
        raise OAuthError(401, "invalid_client", "Client authentication failed")
    return app


def spend(session: Session, model, key_column, *, key: str, now_ms: int):
    """Marks a code or refresh token used if it is unused and unexpired; the row, or None."""
    spent = session.execute(
        update(model)
        .where(key_column == key, model.used_ms.is_(None), model.expires_ms > now_ms)
        .values(used_ms=now_ms)
    )
    return session.get(model, key) if spent.rowcount == 1 else None


def grant(db: Database, secret: bytes, asked: TokenRequest) -> dict:
    if asked.user_type is not None and asked.user_type not in (LOCATION, COMPANY):
        raise OAuthError(400, "invalid_request", "user_type must be Location or Company")
    with db.write() as session:
        now_ms = clock.now_ms(session)
        app = client_app(session, asked.client_id, asked.client_secret)
        if asked.grant_type == "authorization_code":
            found, user_type = code_grant(session, app, asked, now_ms=now_ms)
        elif asked.grant_type == "refresh_token":
            found, user_type = refresh_grant(session, app, asked, now_ms=now_ms)
        else:
            raise OAuthError(
                400,
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            )
        if asked.user_type is not None and asked.user_type != user_type:
            raise OAuthError(
                400, "invalid_grant", f"The grant is for a {user_type} token, not {asked.user_type}"
            )
        issued = issue_tokens(session, secret, app, found=found, user_type=user_type, now_ms=now_ms)
        return token_answer(session, app, found, issued=issued)


def code_grant(
    session: Session, app: App, asked: TokenRequest, *, now_ms: int
) -> tuple[AppInstall, str]:
    if not asked.code:
        raise OAuthError(400, "invalid_request", "code is required for authorization_code")
    code = spend(
        session,
        AuthorizationCode,
        AuthorizationCode.code_hash,
        key=hash_token(asked.code),
        now_ms=now_ms,
    )
    found = None if code is None else session.get(AppInstall, code.install_id)
    if found is None or found.app_id != app.id or found.uninstalled_ms is not None:
        raise OAuthError(400, "invalid_grant", "The authorization code is invalid, used or expired")
    if asked.redirect_uri is not None and asked.redirect_uri != code.redirect_uri:
        raise OAuthError(400, "invalid_grant", "redirect_uri does not match the authorization")
    return found, (COMPANY if found.location_id is None else LOCATION)


def refresh_grant(
    session: Session, app: App, asked: TokenRequest, *, now_ms: int
) -> tuple[AppInstall, str]:
    if not asked.refresh_token:
        raise OAuthError(400, "invalid_request", "refresh_token is required for refresh_token")
    token_hash = hash_token(asked.refresh_token)
    refresh = spend(session, RefreshToken, RefreshToken.token_hash, key=token_hash, now_ms=now_ms)
    found = None if refresh is None else session.get(AppInstall, refresh.install_id)
    if found is None or found.app_id != app.id or found.uninstalled_ms is not None:
        raise OAuthError(400, "invalid_grant", "The refresh token is invalid, used or expired")
    return found, refresh.user_type


def token_answer(session: Session, app: App, found: AppInstall, *, issued: dict) -> dict:
    """`GetAccessCodeSuccessfulResponseDto`, snake_case (the spec of 2021-07-28) and camelCase
    (the v3 spec the SDK reads) together: every schema allows the other's keys."""
    answer = {
        "access_token": issued["access_token"],
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "refresh_token": issued["refresh_token"],
        "scope": issued["scope"],
        "userType": issued["user_type"],
        "userId": found.user_id,
        "isBulkInstallation": False,
    }
    # A string in the spec: absent for a location of no company.
    if found.company_id is not None:
        answer["companyId"] = found.company_id
    if issued["user_type"] == LOCATION:
        answer["locationId"] = found.location_id
    else:
        answer["approvedLocations"] = installed_location_ids(session, app.id, found.company_id)
        answer["approveAllLocations"] = False
        answer["installToFutureLocations"] = False
    return {**answer, **camel_tokens(answer)}


def camel_tokens(answer: dict) -> dict:
    return {
        "accessToken": answer["access_token"],
        "tokenType": answer["token_type"],
        "expiresIn": answer["expires_in"],
        "refreshToken": answer["refresh_token"],
    }


def installed_location_ids(session: Session, app_id: str, company_id: str | None) -> list[str]:
    return list(
        session.scalars(
            select(AppInstall.location_id)
            .where(
                AppInstall.app_id == app_id,
                AppInstall.company_id == company_id,
                AppInstall.location_id.is_not(None),
                AppInstall.uninstalled_ms.is_(None),
            )
            .order_by(AppInstall.location_id)
        )
    )


# --- the agency endpoints -----------------------------------------------------------------


def location_token(
    db: Database, secret: bytes, caller: AgencyCaller, *, company_id: str, location_id: str
) -> dict:
    """A location token of the app's install on a location of the caller's company."""
    if company_id != caller.company_id:
        raise BadRequest(["companyId is not the token's company"])
    with db.write() as session:
        now_ms = clock.now_ms(session)
        location = session.get(Location, location_id)
        if location is None or location.company_id != company_id:
            raise BadRequest(["Location not found in this company"])
        found = live_install(session, caller.app_id, Target(location_id, company_id))
        if found is None:
            raise BadRequest(["The app is not installed on this location"])
        app = session.get(App, caller.app_id)
        issued = issue_tokens(session, secret, app, found=found, user_type=LOCATION, now_ms=now_ms)
    answer = {
        "access_token": issued["access_token"],
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_SECONDS,
        "refresh_token": issued["refresh_token"],
        "scope": issued["scope"],
        "userType": LOCATION,
        "locationId": location_id,
        "companyId": company_id,
        "userId": found.user_id,
        "appId": app.id,
        "versionId": app.id,
    }
    return {**answer, **camel_tokens(answer)}


@dataclass(frozen=True)
class InstalledLocation:
    id: str
    name: str
    installed_ms: int | None


@dataclass(frozen=True)
class InstalledQuery:
    """The filters of `/oauth/installedLocations` and `/oauth/installed-locations`."""

    company_id: str
    app_id: str
    query: str | None
    is_installed: bool | None
    location_id: str | None
    # Apps here have one version (its id) and no plans or trials: asking for another version, a
    # plan or a trial matches no location.
    version_id: str | None
    on_trial: bool | None
    plan_id: str | None


def installed_locations(
    db: Database, caller: AgencyCaller, asked: InstalledQuery, *, skip: int, limit: int
) -> tuple[list[InstalledLocation], int]:
    """The caller's company's locations with whether the app is on each, filtered, a page of
    them and how many matched."""
    if asked.company_id != caller.company_id:
        raise BadRequest(["companyId is not the token's company"])
    if asked.app_id != caller.app_id:
        raise NotFound("App not found")
    if (
        (asked.version_id is not None and asked.version_id != asked.app_id)
        or asked.on_trial
        or asked.plan_id is not None
    ):
        return [], 0
    installed = (
        select(AppInstall.location_id, func.min(AppInstall.installed_ms).label("installed_ms"))
        .where(AppInstall.app_id == asked.app_id, AppInstall.uninstalled_ms.is_(None))
        .group_by(AppInstall.location_id)
        .subquery()
    )
    rows = (
        select(Location.id, Location.name, installed.c.installed_ms)
        .outerjoin(installed, installed.c.location_id == Location.id)
        .where(Location.company_id == asked.company_id)
    )
    if asked.is_installed is not None:
        rows = rows.where(
            installed.c.installed_ms.is_not(None)
            if asked.is_installed
            else installed.c.installed_ms.is_(None)
        )
    if asked.query:
        rows = rows.where(func.lower(Location.name).contains(asked.query.lower(), autoescape=True))
    if asked.location_id is not None:
        rows = rows.where(Location.id == asked.location_id)
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(rows.subquery()))
        page = session.execute(rows.order_by(Location.name, Location.id).offset(skip).limit(limit))
        return [InstalledLocation(*row) for row in page], total


# --- consent (the page in web/consent.py) -------------------------------------------------


class ConsentRefused(Exception):
    """A consent request no redirect may answer: an unknown client, a redirect URI the app
    does not have, a scope it does not have. The page shows the message."""


@dataclass(frozen=True)
class ConsentRequest:
    app_id: str
    app_name: str
    distribution: str
    redirect_uri: str
    scopes: list[str]


def consent_request(
    db: Database,
    *,
    response_type: str | None,
    client_id: str | None,
    redirect_uri: str | None,
    scope: str | None,
) -> ConsentRequest:
    """The app and what it asks, checked before anything is shown or redirected to."""
    with db.read() as session:
        app = (
            None if not client_id else session.scalar(select(App).where(App.client_id == client_id))
        )
    if app is None:
        raise ConsentRefused("Unknown client_id: no app has it.")
    if not redirect_uri or redirect_uri not in app.redirect_uris:
        raise ConsentRefused("redirect_uri is not one of the app's redirect URIs.")
    asked = (scope or "").split()
    missing = [each for each in asked if each not in app.scopes]
    if missing:
        raise ConsentRefused(f"The app does not have the scope {', '.join(missing)}.")
    if response_type != "code":
        raise ConsentRefused("response_type must be code.")
    return ConsentRequest(
        app_id=app.id,
        app_name=app.name,
        distribution=app.distribution,
        redirect_uri=redirect_uri,
        scopes=list(dict.fromkeys(asked)) or list(app.scopes),
    )


@dataclass(frozen=True)
class ConsentTarget:
    """Somewhere the operator may install the app: a location or, for an agency app, a
    company; `installed` when the app is on it already."""

    kind: str  # "location" | "company"
    id: str
    name: str
    company_name: str | None
    installed: bool


def consent_targets(db: Database, asked: ConsentRequest) -> list[ConsentTarget]:
    """A location app: every location. An agency app: every company, and the locations of
    the companies it is installed on."""
    with db.read() as session:
        companies = {company.id: company for company in session.scalars(select(Company))}
        live = session.execute(
            select(AppInstall.location_id, AppInstall.company_id).where(
                AppInstall.app_id == asked.app_id, AppInstall.uninstalled_ms.is_(None)
            )
        ).all()
        locations = session.scalars(select(Location).order_by(Location.name, Location.id)).all()
    on_locations = {location_id for location_id, _ in live if location_id is not None}
    on_companies = {company_id for location_id, company_id in live if location_id is None}
    targets = []
    if asked.distribution == "agency":
        targets += [
            ConsentTarget("company", company.id, company.name, None, company.id in on_companies)
            for company in sorted(
                companies.values(), key=lambda company: (company.name, company.id)
            )
        ]
    for location in locations:
        if asked.distribution == "agency" and location.company_id not in on_companies:
            continue
        company = companies.get(location.company_id)
        targets.append(
            ConsentTarget(
                "location",
                location.id,
                location.name,
                company.name if company is not None else None,
                location.id in on_locations,
            )
        )
    return targets


def consent(db: Database, asked: ConsentRequest, target_kind: str, *, target_id: str) -> str:
    """Allow: installs on the chosen target (as `admin_install` does) and returns the code."""
    if target_kind not in ("location", "company"):
        raise BadRequest(["Choose a location or a company"])
    location_id = target_id if target_kind == "location" else None
    company_id = target_id if target_kind == "company" else None
    _install, code = admin_install(
        db,
        app_id=asked.app_id,
        location_id=location_id,
        company_id=company_id,
        redirect_uri=asked.redirect_uri,
        scopes=asked.scopes,
    )
    return code
