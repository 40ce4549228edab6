"""Service bookings (PRODUCT §7): services laid back to back from the start, each given by a
staff member who is free, checked and written in one transaction under the same booking
locks as appointments (a person's lock), so the two APIs can never double-book anyone."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.appointments.models import FREEING_STATUSES
from opencalendars.busy.appointments import MAX_APPOINTMENT_MS
from opencalendars.busy.claims import SlotTaken, claim
from opencalendars.busy.people import free_staff
from opencalendars.contacts.bookings import booking_contact
from opencalendars.context import LocationContext
from opencalendars.db.batch import Plan, done, run_plan, together
from opencalendars.db.database import Database
from opencalendars.db.locks import person_key
from opencalendars.db.queries import get_live, live
from opencalendars.errors import BadRequest
from opencalendars.http.times import body_instant_ms, iso_local
from opencalendars.ids import new_id
from opencalendars.services.catalog import MAX_TIMING_MINUTES, live_services, minutes, whole
from opencalendars.services.locations import live_places
from opencalendars.services.models import Service, ServiceBooking, ServiceLocation
from opencalendars.services.schemas import (
    CreateBookingServiceDTO,
    CreatePublicServiceBookingDTO,
    UpdateServiceBookingDTO,
)
from opencalendars.services.store import save_booking
from opencalendars.units import MINUTE_MS
from opencalendars.zones import is_known_zone, zone

NOT_FOUND = "Service booking not found"
MAX_ADD_ON_QUANTITY = 100
MEETING_IGNORED = (
    "Meeting location is not supported for the selected service location and has been ignored."
)


@dataclass(frozen=True)
class Checks:
    """What the query string relaxes: `overrideAvailability`, `skipSchedulingNotice`."""

    availability: bool = True
    notice: bool = True


@dataclass(frozen=True)
class PlannedService:
    """One service of a booking, in booking order, before its staff is chosen."""

    index: int  # its place in the request's `services`, for messages
    service_id: str
    category_id: str
    name: str
    staff_ids: list[str]  # who may give it, in the service's order (one when staffId is given)
    duration_ms: int  # the service's duration plus its add-ons
    pre_buffer_ms: int
    post_buffer_ms: int
    add_ons: list[dict]  # ServiceAddOnResponseDTO: {id, quantity}


def booking_zone(name: str) -> ZoneInfo:
    if not is_known_zone(name):
        raise BadRequest(["timezone must be a valid IANA time zone"])
    return zone(name)


def add_ons_minutes(item: CreateBookingServiceDTO, prefix: str) -> tuple[int, list[dict]]:
    """Minutes the add-ons add (duration times quantity, quantity default 1) and how they are
    answered, or a 400 naming each bad add-on."""
    total, answered, problems = 0, [], []
    for index, add_on in enumerate(item.addOns):
        field = f"{prefix}addOns.{index}."
        quantity = add_on.quantity if add_on.quantity is not None else 1
        duration = add_on.duration or 0
        if not whole(quantity):
            problems.append(f"{field}quantity must be an integer number")
        elif quantity > MAX_ADD_ON_QUANTITY:
            problems.append(f"{field}quantity must not be greater than {MAX_ADD_ON_QUANTITY}")
        if not whole(duration):
            problems.append(f"{field}duration must be a whole number of minutes")
        elif duration > MAX_TIMING_MINUTES:
            problems.append(f"{field}duration must not be longer than 24 hours")
        total += round(duration) * round(quantity)
        answered.append({"id": add_on.id, "quantity": round(quantity)})
    if problems:
        raise BadRequest(problems)
    return total, answered


def booking_order(items: list[CreateBookingServiceDTO]) -> list[int]:
    """Indexes of the requested services in `position` order; a service without a position
    takes its index in the array."""
    positions, problems = {}, []
    for index, item in enumerate(items):
        position = item.position if item.position is not None else index
        if not whole(position):
            problems.append(f"services.{index}.position must be an integer number")
        elif position in positions.values():
            problems.append(f"services.{index}.position {round(position)} is used twice")
        positions[index] = position
    if problems:
        raise BadRequest(problems)
    return sorted(positions, key=positions.__getitem__)


def plan_services(
    session: Session, location_id: str, items: list[CreateBookingServiceDTO]
) -> list[PlannedService]:
    """The requested services, in booking order, with their lengths and who may give them."""
    ids = {item.id for item in items}
    known = {
        s.id: s for s in session.scalars(live_services(location_id).where(Service.id.in_(ids)))
    }
    planned, problems = [], []
    for index in booking_order(items):
        item, prefix = items[index], f"services.{index}."
        service = known.get(item.id)
        if service is None:
            problems.append(f"{prefix}id {item.id} is not a service of this location")
            continue
        staff = service.settings["staff"]
        if item.staffId is not None and item.staffId not in staff:
            problems.append(f"{prefix}staffId must be a staff member of the service")
            continue
        extra_minutes, add_ons = add_ons_minutes(item, prefix)
        settings = service.settings
        planned.append(
            PlannedService(
                index=index,
                service_id=service.id,
                category_id=service.service_category_id,
                name=service.name,
                staff_ids=[item.staffId] if item.staffId is not None else list(staff),
                duration_ms=round(minutes(settings, "serviceDuration") + extra_minutes) * MINUTE_MS,
                pre_buffer_ms=round(minutes(settings, "preBuffer")) * MINUTE_MS,
                post_buffer_ms=round(minutes(settings, "postBuffer")) * MINUTE_MS,
                add_ons=add_ons,
            )
        )
    if problems:
        raise BadRequest(problems)
    return planned


def planned_as_booked(booking: ServiceBooking) -> list[PlannedService]:
    """A booking's services as they were booked (lengths, buffers and staff kept), for a move."""
    return [
        PlannedService(
            index=index,
            service_id=segment["id"],
            category_id=segment["serviceCategoryId"],
            name="",
            staff_ids=[segment["serviceStaffId"]],
            duration_ms=segment["endMs"] - segment["startMs"],
            pre_buffer_ms=segment["preBufferMs"],
            post_buffer_ms=segment["postBufferMs"],
            add_ons=segment["addOns"],
        )
        for index, segment in enumerate(booking.segments)
    ]


def lay_out(start_ms: int, planned: list[PlannedService]) -> list[tuple[int, int]]:
    """Back to back from the start, in booking order."""
    times, at = [], start_ms
    for service in planned:
        times.append((at, at + service.duration_ms))
        at += service.duration_ms
    if at - start_ms > MAX_APPOINTMENT_MS:
        raise BadRequest(["a service booking may last 31 days at most"])
    return times


def check_end(end_ms: int, expected_end_ms: int, booking_zone_: ZoneInfo) -> None:
    if end_ms != expected_end_ms:
        raise BadRequest([f"endTime must be {iso_local(expected_end_ms, booking_zone_)}"])


def service_location_for(session: Session, location_id: str, place_id: str | None):
    """The named service location, or the location's default."""
    query = live_places(location_id)
    if place_id is None:
        place = session.scalar(query.where(ServiceLocation.is_default.is_(True)).limit(1))
        if place is None:
            raise BadRequest(["serviceLocationId should not be empty: this location has none yet"])
        return place
    place = session.scalar(query.where(ServiceLocation.id == place_id))
    if place is None:
        raise BadRequest(
            [f"serviceLocationId {place_id} is not a service location of this location"]
        )
    return place


def meeting_location_for(
    place: ServiceLocation, requested: str | None
) -> tuple[str | None, list[str]]:
    """`ask_booker` needs the booker's meeting location; elsewhere it is ignored, with a note."""
    if place.location_type == "ask_booker":
        if not requested:
            raise BadRequest(
                ["meetingLocation should not be empty for an ask_booker service location"]
            )
        return requested, []
    return None, [MEETING_IGNORED] if requested else []


def choose_staff(
    session: Session,
    context: LocationContext,
    *,
    planned: list[PlannedService],
    times: list[tuple[int, int]],
    checks: Checks,
    shown_in: ZoneInfo,
    now_ms: int,
    exclude_booking_id: str = "",
) -> list[str]:
    """The service front door of the booking pipeline (`busy.claims`): everyone who could be
    booked locked, then each service given the first of its candidates who is free (or, with
    `overrideAvailability`, the first)."""

    to_lock = [
        person_key(context.location_id, user) for service in planned for user in service.staff_ids
    ]

    def check() -> Plan[tuple]:
        if checks.notice and times[0][0] < now_ms:
            raise BadRequest(["startTime must not be in the past"])
        if not checks.availability:
            return done(())
        # Each service's staff checked against the busy picture, all in one round.
        return together(
            *[
                free_staff(
                    context,
                    candidates=service.staff_ids,
                    start_ms=start,
                    end_ms=end,
                    pre_buffer_ms=service.pre_buffer_ms,
                    post_buffer_ms=service.post_buffer_ms,
                    exclude_booking_id=exclude_booking_id,
                )
                for service, (start, end) in zip(planned, times, strict=True)
            ]
        )

    def choose(found: tuple) -> list[str]:
        if not checks.availability:
            return [service.staff_ids[0] for service in planned]
        chosen, problems = [], []
        for service, (start, end), free in zip(planned, times, found, strict=True):
            if free:
                chosen.append(free[0])
                continue
            span = f"from {iso_local(start, shown_in)} to {iso_local(end, shown_in)}"
            if len(service.staff_ids) == 1:
                who = f"staff member {service.staff_ids[0]} is not"
            else:
                who = "no staff member of the service is"
            problems.append(f"services.{service.index}: {who} available {span}")
        if problems:
            raise SlotTaken(problems)
        return chosen

    return claim(session, "service", done(to_lock), check=check, choose=choose)


def segments_of(
    planned: list[PlannedService], times: list[tuple[int, int]], staff: list[str]
) -> list[dict]:
    return [
        {
            "id": service.service_id,
            "serviceCategoryId": service.category_id,
            "serviceStaffId": staff_id,
            "startMs": start,
            "endMs": end,
            "preBufferMs": service.pre_buffer_ms,
            "postBufferMs": service.post_buffer_ms,
            "addOns": service.add_ons,
        }
        for service, (start, end), staff_id in zip(planned, times, staff, strict=True)
    ]


def create_booking(
    db: Database, context: LocationContext, dto: CreatePublicServiceBookingDTO, *, checks: Checks
) -> tuple[ServiceBooking, list[str]]:
    """The booking and the informative messages of its answer. Unlike the other areas' bodies
    (read at the edge, `http.times.body_times`), a service booking's times are read in the
    booking's own `timezone`, checked here with it (and on an edit without one, the stored
    booking's)."""
    shown_in = booking_zone(dto.timezone)
    start_ms = body_instant_ms("startTime", dto.startTime, shown_in)
    end_ms = body_instant_ms("endTime", dto.endTime, shown_in)
    with db.write() as session:
        run_plan(session, booking_contact(dto.locationId, dto.contactId))
        place = service_location_for(session, dto.locationId, dto.serviceLocationId)
        meeting, messages = meeting_location_for(place, dto.meetingLocation)
        planned = plan_services(session, dto.locationId, dto.services)
        times = lay_out(start_ms, planned)
        check_end(end_ms, times[-1][1], shown_in)
        occupies = dto.status not in FREEING_STATUSES
        now = clock.now_ms(session)
        staff = choose_staff(
            session,
            context,
            planned=planned,
            times=times,
            checks=checks if occupies else Checks(availability=False, notice=False),
            shown_in=shown_in,
            now_ms=now,
        )
        booking = ServiceBooking(
            id=new_id(),
            location_id=dto.locationId,
            contact_id=dto.contactId,
            service_location_id=place.id,
            title=dto.title if dto.title else ", ".join(service.name for service in planned),
            status=dto.status,
            timezone=dto.timezone,
            start_ms=start_ms,
            end_ms=end_ms,
            meeting_location=meeting,
            segments=segments_of(planned, times, staff),
            created_by={"source": "third_party"},
            deleted=False,
            date_added_ms=now,
            date_updated_ms=now,
        )
        save_booking(session, booking)
    return booking, messages


def get_booking(
    session: Session, location_id: str, booking_id: str, *, to_change: bool = False
) -> ServiceBooking:
    return get_live(
        session,
        ServiceBooking,
        location_id,
        row_id=booking_id,
        message=NOT_FOUND,
        to_change=to_change,
    )


def read_booking(db: Database, location_id: str, booking_id: str) -> ServiceBooking:
    with db.read() as session:
        return get_booking(session, location_id, booking_id)


def list_bookings(
    db: Database, location_id: str, start_ms: int, *, end_ms: int, place_id: str | None
) -> list[ServiceBooking]:
    """Live bookings overlapping [start_ms, end_ms), by start (ties by id)."""
    if end_ms <= start_ms:
        raise BadRequest(["endTime must be after startTime"])
    query = (
        live(ServiceBooking, location_id)
        .where(
            ServiceBooking.start_ms < end_ms,
            # Bookings last 31 days at most: a bounded range scan of the start index.
            ServiceBooking.start_ms > start_ms - MAX_APPOINTMENT_MS,
            ServiceBooking.end_ms > start_ms,
        )
        .order_by(ServiceBooking.start_ms, ServiceBooking.id)
    )
    if place_id is not None:
        query = query.where(ServiceBooking.service_location_id == place_id)
    with db.read() as session:
        return list(session.scalars(query))


def update_booking(
    db: Database,
    context: LocationContext,
    *,
    booking_id: str,
    dto: UpdateServiceBookingDTO,
    checks: Checks,
) -> tuple[ServiceBooking, list[str]]:
    """Partial. A new time or new services (or a booking that starts occupying again) is
    checked like a new booking, leaving this booking's own time out; a move keeps each
    service's staff and length as booked."""
    location_id = context.location_id
    with db.write() as session:
        booking = get_booking(session, location_id, booking_id, to_change=True)
        timezone = dto.timezone if dto.timezone is not None else booking.timezone
        shown_in = booking_zone(timezone)
        start_ms = booking.start_ms
        if dto.startTime is not None:
            start_ms = body_instant_ms("startTime", dto.startTime, shown_in)
        if dto.services is not None:
            planned = plan_services(session, location_id, dto.services)
        else:
            planned = planned_as_booked(booking)
        times = lay_out(start_ms, planned)
        if dto.endTime is not None:
            check_end(body_instant_ms("endTime", dto.endTime, shown_in), times[-1][1], shown_in)
        place_id = dto.serviceLocationId or booking.service_location_id
        place = service_location_for(session, location_id, place_id)
        requested = (
            dto.meetingLocation if dto.meetingLocation is not None else booking.meeting_location
        )
        meeting, messages = meeting_location_for(place, requested)
        if dto.meetingLocation is None:
            messages = []  # a stored meeting location is not news
        status = dto.status or booking.status
        occupies = status not in FREEING_STATUSES
        changed = dto.startTime is not None or dto.services is not None
        now = clock.now_ms(session)
        if occupies and (changed or not booking.occupies):
            # Taking time again is a booking: for a live contact, where the location says so.
            run_plan(session, booking_contact(location_id, booking.contact_id))
            staff = choose_staff(
                session,
                context,
                planned=planned,
                times=times,
                checks=checks,
                shown_in=shown_in,
                now_ms=now,
                exclude_booking_id=booking.id,
            )
        else:
            staff = [service.staff_ids[0] for service in planned]
        booking.timezone = timezone
        booking.start_ms, booking.end_ms = start_ms, times[-1][1]
        booking.segments = segments_of(planned, times, staff)
        booking.service_location_id = place.id
        booking.meeting_location = meeting
        booking.status = status
        if dto.title is not None:
            booking.title = dto.title
        booking.date_updated_ms = now
        save_booking(session, booking)
    return booking, messages


def delete_booking(db: Database, location_id: str, booking_id: str) -> None:
    """Soft delete: kept, never shown again, and its staff's time is free."""
    with db.write() as session:
        booking = get_booking(session, location_id, booking_id, to_change=True)
        booking.deleted = True
        booking.date_updated_ms = clock.now_ms(session)
        save_booking(session, booking)
