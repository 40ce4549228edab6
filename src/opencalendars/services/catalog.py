"""The service catalog (PRODUCT §7): what can be booked, how long it lasts, who gives it."""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.db.database import Database
from opencalendars.db.queries import apply_given, live, one_or_not_found
from opencalendars.errors import BadRequest
from opencalendars.ids import new_id
from opencalendars.services.models import Service
from opencalendars.services.schemas import (
    TIMING_DEFAULTS,
    CreateServiceDTO,
    UpdateServiceDTO,
    UpdateServiceVariationDTO,
)
from opencalendars.units import MINUTE_MS, UNIT_MS

NOT_FOUND = "Service not found"
SLUG_TAKEN = "slug is already used by another service of this location"
# Services created without a category are in the location's default category.
DEFAULT_CATEGORY_ID = "default"
MAX_TIMING_MINUTES = 24 * 60
TIMED_FIELDS = ("serviceDuration", "preBuffer", "postBuffer")
# What the columns hold; everything else of the DTO goes to `settings`.
COLUMN_FIELDS = {
    "locationId",
    "name",
    "slug",
    "serviceCategoryId",
    "isPrivate",
    "staff",
    "variations",
}
UPDATED_COLUMNS = {
    "name": "name",
    "slug": "slug",
    "serviceCategoryId": "service_category_id",
    "isPrivate": "is_private",
}


def live_services(location_id: str):
    return live(Service, location_id).order_by(Service.date_added_ms, Service.id)


def get_service(
    session: Session, location_id: str, service_id: str, *, to_change: bool = False
) -> Service:
    return one_or_not_found(
        session,
        live_services(location_id).where(Service.id == service_id),
        NOT_FOUND,
        to_change=to_change,
    )


def minutes(settings: dict, field: str) -> float:
    """A duration or buffer of a service (or variation) in minutes, defaults applied."""
    value = settings.get(field, TIMING_DEFAULTS[field])
    unit = settings.get(f"{field}Unit", TIMING_DEFAULTS[f"{field}Unit"])
    return value * (UNIT_MS[unit] // MINUTE_MS)


def whole(value: float) -> bool:
    """A whole number, allowing for float arithmetic (2.05 hours is 122.99999999999999 minutes)."""
    return abs(value - round(value)) < 1e-9


def timing_problems(settings: dict, prefix: str = "") -> list[str]:
    """Durations and buffers are whole minutes, and 24 hours at most."""
    problems = []
    for field in TIMED_FIELDS:
        if field not in settings:
            continue
        value = minutes(settings, field)
        if not whole(value):
            problems.append(f"{prefix}{field} must be a whole number of minutes")
        elif value > MAX_TIMING_MINUTES:
            problems.append(f"{prefix}{field} must not be longer than 24 hours")
    return problems


def payment_problems(payment: dict | None, prefix: str = "") -> list[str]:
    if not payment or "deposit" not in payment:
        return []
    if payment.get("depositType") == "percentage":
        if payment["deposit"] > 100:
            return [
                f"{prefix}payment.deposit must not be greater than 100 for a percentage deposit"
            ]
        return []
    if payment["deposit"] > payment.get("amount", 0):
        return [f"{prefix}payment.deposit must not be greater than payment.amount"]
    return []


def check(session: Session, service: Service) -> None:
    """Every rule on the service as it would be stored: one message per problem."""
    settings = service.settings
    problems = timing_problems(settings) + payment_problems(settings.get("payment"))
    for index, variation in enumerate(settings.get("variations", [])):
        prefix = f"variations.{index}."
        problems += timing_problems(variation, prefix) + payment_problems(
            variation.get("payment"), prefix
        )
    if len(set(settings["staff"])) != len(settings["staff"]):
        problems.append("staff must not list the same id twice")
    query = live_services(service.location_id).where(
        Service.slug == service.slug, Service.id != service.id
    )
    if session.scalar(query.limit(1)) is not None:
        problems.append(SLUG_TAKEN)
    if problems:
        raise BadRequest(problems)


def updated_variations(
    existing: list[dict], updates: list[UpdateServiceVariationDTO]
) -> list[dict]:
    """The list replaces the variations: an item with an id updates that variation (keeping
    its id), one without creates a variation, and those left out are removed."""
    by_id = {variation["id"]: variation for variation in existing}
    seen: set[str] = set()
    variations, problems = [], []
    for index, item in enumerate(updates):
        fields = item.model_dump(exclude_none=True, exclude={"id"})
        if item.id is None:
            if "name" not in fields:
                problems.append(f"variations.{index}.name should not be empty")
            variations.append({"id": new_id(), **fields})
        elif item.id not in by_id:
            problems.append(f"variations.{index}.id {item.id} is not a variation of this service")
        elif item.id in seen:
            problems.append(f"variations.{index}.id {item.id} is listed twice")
        else:
            seen.add(item.id)
            variations.append({**by_id[item.id], **fields})
    if problems:
        raise BadRequest(problems)
    return variations


def create_service(db: Database, dto: CreateServiceDTO) -> Service:
    settings = dto.model_dump(exclude_none=True, exclude=COLUMN_FIELDS)
    settings["staff"] = [staff.id for staff in dto.staff]
    settings["variations"] = [
        {"id": new_id(), **variation.model_dump(exclude_none=True)} for variation in dto.variations
    ]
    try:
        with db.write() as session:
            now = clock.now_ms(session)
            service = Service(
                id=new_id(),
                location_id=dto.locationId,
                name=dto.name,
                slug=dto.slug,
                service_category_id=dto.serviceCategoryId or DEFAULT_CATEGORY_ID,
                is_private=bool(dto.isPrivate),
                settings=settings,
                deleted=False,
                date_added_ms=now,
                date_updated_ms=now,
            )
            check(session, service)
            session.add(service)
    except IntegrityError:
        raise BadRequest([SLUG_TAKEN]) from None
    return service


def list_services(
    db: Database, location_id: str, category_id: str | None, *, is_private: bool | None
) -> list[Service]:
    """Oldest first (ties by id)."""
    query = live_services(location_id)
    if category_id is not None:
        query = query.where(Service.service_category_id == category_id)
    if is_private is not None:
        query = query.where(Service.is_private.is_(is_private))
    with db.read() as session:
        return list(session.scalars(query))


def read_service(db: Database, location_id: str, service_id: str) -> Service:
    with db.read() as session:
        return get_service(session, location_id, service_id)


def update_service(
    db: Database, location_id: str, service_id: str, *, dto: UpdateServiceDTO
) -> Service:
    """Partial; the rules are checked on the result. Bookings already made keep the times
    they were booked with."""
    try:
        with db.write() as session:
            service = get_service(session, location_id, service_id, to_change=True)
            settings = {
                **service.settings,
                **dto.model_dump(exclude_none=True, exclude=COLUMN_FIELDS),
            }
            if dto.staff is not None:
                settings["staff"] = [staff.id for staff in dto.staff]
            if dto.variations is not None:
                settings["variations"] = updated_variations(
                    service.settings.get("variations", []), dto.variations
                )
            service.settings = settings
            apply_given(service, dto, UPDATED_COLUMNS)
            check(session, service)
            service.date_updated_ms = clock.now_ms(session)
    except IntegrityError:
        raise BadRequest([SLUG_TAKEN]) from None
    return service


def delete_service(db: Database, location_id: str, service_id: str) -> None:
    """Soft delete: it can no longer be booked; bookings already made keep it."""
    with db.write() as session:
        service = get_service(session, location_id, service_id, to_change=True)
        service.deleted = True
        service.date_updated_ms = clock.now_ms(session)
