"""Locations, tokens and the clock: the operator's side of the server."""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.admin.models import ApiToken, Location
from opencalendars.db.database import Database
from opencalendars.db.queries import for_change
from opencalendars.errors import Conflict, NotFound
from opencalendars.http.auth import ALL_SCOPES, hash_token
from opencalendars.ids import new_id
from opencalendars.marketplace.models import Company

TOKEN_PREFIX = "pit-"


def create_location(
    db: Database,
    name: str,
    timezone: str,
    *,
    location_id: str | None,
    require_contacts: bool = True,
    country: str | None = None,
    allow_duplicate_contacts: bool = False,
    company_id: str | None = None,
) -> Location:
    """A new location requires live contacts for its bookings unless told otherwise. 409 for an
    id taken, before or by a create racing this one (the primary key decides: both may find the
    id free, only one insert commits)."""
    taken = Conflict(f"Location {location_id} already exists")
    try:
        with db.write() as session:
            if location_id is not None and session.get(Location, location_id) is not None:
                raise taken
            if company_id is not None and session.get(Company, company_id) is None:
                raise NotFound("Company not found")
            location = Location(
                id=location_id or new_id(),
                name=name,
                timezone=timezone,
                date_added_ms=clock.now_ms(session),
                require_contacts=require_contacts,
                country=country,
                allow_duplicate_contacts=allow_duplicate_contacts,
                company_id=company_id,
            )
            session.add(location)
    except IntegrityError:
        raise taken from None
    return location


# LocationUpdateDTO's fields and their columns.
LOCATION_FIELDS = {
    "name": "name",
    "requireContacts": "require_contacts",
    "country": "country",
    "allowDuplicateContacts": "allow_duplicate_contacts",
}
# Fields a body may set to null (the country: back to the US); the others keep their value.
NULLABLE_FIELDS = {"country"}


def update_location(db: Database, location_id: str, given: dict) -> Location:
    """Partial: each field the body gives (`LOCATION_FIELDS`) is set."""
    with db.write() as session:
        location = session.scalar(for_change(select(Location).where(Location.id == location_id)))
        if location is None:
            raise NotFound("Location not found")
        for field, column in LOCATION_FIELDS.items():
            if field in given and (given[field] is not None or field in NULLABLE_FIELDS):
                setattr(location, column, given[field])
    return location


def list_locations(db: Database) -> list[Location]:
    with db.read() as session:
        return list(session.scalars(select(Location).order_by(Location.date_added_ms, Location.id)))


def get_location(session: Session, location_id: str) -> Location:
    location = session.get(Location, location_id)
    if location is None:
        raise NotFound("Location not found")
    return location


def create_token(
    db: Database,
    location_id: str,
    scopes: list[str] | None,
    *,
    name: str,
    secret: str | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the location; the secret is returned here and never again. `secret`:
    this one rather than a random one (the demo's own token, demo.py); a secret some token
    already has is refused by the unique index on its hash (`IntegrityError`)."""
    secret = secret or TOKEN_PREFIX + str(uuid.uuid4())
    with db.write() as session:
        get_location(session, location_id)
        token = ApiToken(
            id=new_id(),
            location_id=location_id,
            name=name,
            token_hash=hash_token(secret),
            scopes=list(dict.fromkeys(scopes)) if scopes is not None else list(ALL_SCOPES),
            date_added_ms=clock.now_ms(session),
        )
        session.add(token)
    return token, secret


def list_tokens(db: Database, location_id: str | None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.date_added_ms, ApiToken.id)
    if location_id is not None:
        query = query.where(ApiToken.location_id == location_id)
    with db.read() as session:
        return list(session.scalars(query))


def token_with_secret(db: Database, secret: str) -> ApiToken | None:
    """The token whose secret this is, revoked or not (looked up by its hash)."""
    with db.read() as session:
        return session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))


def revoke_token(db: Database, token_id: str) -> ApiToken:
    with db.write() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise NotFound("Token not found")
        if token.revoked_ms is None:
            token.revoked_ms = clock.now_ms(session)
    return token


def read_clock(db: Database) -> tuple[int, bool]:
    with db.read() as session:
        frozen = clock.frozen_ms(session)
    return (clock.real_now_ms(), False) if frozen is None else (frozen, True)


def freeze_clock(db: Database, now_ms: int) -> None:
    with db.write() as session:
        clock.set_frozen_ms(session, now_ms)


def release_clock(db: Database) -> None:
    with db.write() as session:
        clock.set_frozen_ms(session, None)
