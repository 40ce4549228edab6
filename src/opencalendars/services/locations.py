"""Service locations (PRODUCT §7): slugs unique per location, `offline` needs an address, the
first created is the location's default, and there is one default at a time."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.admin.models import Location
from opencalendars.db.database import Database
from opencalendars.db.queries import apply_given, live, one_or_not_found
from opencalendars.errors import BadRequest
from opencalendars.ids import new_id
from opencalendars.services.models import ServiceLocation
from opencalendars.services.schemas import CreateServiceLocationDTO, UpdateServiceLocationDTO

SLUG_TAKEN = "slug is already used by another service location of this location"
NEEDS_ADDRESS = "address should not be empty for an offline service location"
NOT_FOUND = "Service location not found"
UPDATED_COLUMNS = {
    "name": "name",
    "slug": "slug",
    "phone": "phone",
    "address": "address",
    "coverImage": "cover_image",
    "locationType": "location_type",
}


def live_places(location_id: str):
    return live(ServiceLocation, location_id).order_by(
        ServiceLocation.date_added_ms, ServiceLocation.id
    )


def get_place(
    session: Session, location_id: str, place_id: str, *, to_change: bool = False
) -> ServiceLocation:
    query = live_places(location_id).where(ServiceLocation.id == place_id)
    return one_or_not_found(session, query, NOT_FOUND, to_change=to_change)


def slug_taken(session: Session, location_id: str, slug: str, *, except_id: str | None) -> bool:
    query = live_places(location_id).where(ServiceLocation.slug == slug)
    if except_id is not None:
        query = query.where(ServiceLocation.id != except_id)
    return session.scalar(query.limit(1)) is not None


def lock_default(session: Session, location_id: str) -> None:
    """Take the location's row before deciding its default service location. On PostgreSQL
    concurrent first creates would each see no default yet from their own snapshots, and two
    deletes could each think the other's place is the successor; the row lock makes them take
    turns, and each decides on what the previous one committed (the partial unique index
    `uq_service_locations_live_default` holds the rule whatever happens). `FOR NO KEY UPDATE`
    does not block inserts that merely refer to the location (foreign key checks take
    `FOR KEY SHARE`). On SQLite write transactions already take turns and no clause is sent."""
    session.execute(
        select(Location.id).where(Location.id == location_id).with_for_update(key_share=True)
    )


def check(session: Session, place: ServiceLocation) -> None:
    problems = []
    if slug_taken(session, place.location_id, place.slug, except_id=place.id):
        problems.append(SLUG_TAKEN)
    if place.location_type == "offline" and not place.address:
        problems.append(NEEDS_ADDRESS)
    if problems:
        raise BadRequest(problems)


def create_place(db: Database, dto: CreateServiceLocationDTO) -> ServiceLocation:
    try:
        with db.write() as session:
            lock_default(session, dto.locationId)
            now = clock.now_ms(session)
            place = ServiceLocation(
                id=new_id(),
                location_id=dto.locationId,
                name=dto.name,
                slug=dto.slug,
                # Without a type, an address means a place to come to; none means ask the booker.
                location_type=dto.locationType or ("offline" if dto.address else "ask_booker"),
                address=dto.address,
                phone=dto.phone,
                cover_image=dto.coverImage,
                is_default=session.scalar(live_places(dto.locationId).limit(1)) is None,
                deleted=False,
                date_added_ms=now,
                date_updated_ms=now,
            )
            check(session, place)
            session.add(place)
    except IntegrityError:
        raise BadRequest([SLUG_TAKEN]) from None
    return place


def list_places(db: Database, location_id: str) -> list[ServiceLocation]:
    """Oldest first (ties by id)."""
    with db.read() as session:
        return list(session.scalars(live_places(location_id)))


def read_place(db: Database, location_id: str, place_id: str) -> ServiceLocation:
    with db.read() as session:
        return get_place(session, location_id, place_id)


def update_place(
    db: Database, location_id: str, place_id: str, *, dto: UpdateServiceLocationDTO
) -> ServiceLocation:
    """Partial; the rules are checked on the result."""
    try:
        with db.write() as session:
            place = get_place(session, location_id, place_id, to_change=True)
            apply_given(place, dto, UPDATED_COLUMNS)
            check(session, place)
            place.date_updated_ms = clock.now_ms(session)
    except IntegrityError:
        raise BadRequest([SLUG_TAKEN]) from None
    return place


def delete_place(db: Database, location_id: str, place_id: str) -> None:
    """Soft delete; when the default goes, the oldest remaining one becomes the default."""
    with db.write() as session:
        lock_default(session, location_id)
        place = get_place(session, location_id, place_id, to_change=True)
        place.deleted = True
        place.date_updated_ms = clock.now_ms(session)
        if place.is_default:
            place.is_default = False
            session.flush()
            successor = session.scalar(live_places(location_id).limit(1))
            if successor is not None:
                successor.is_default = True
