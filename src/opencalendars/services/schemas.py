"""Wire shapes of Services V2, named after the spec's DTOs."""

from typing import Annotated, Literal

from pydantic import Field

from opencalendars.http.numbers import NonNegativeNumber, PositiveNumber
from opencalendars.http.times import Instant, iso_local
from opencalendars.http.validation import RequestDTO
from opencalendars.services.models import Service, ServiceBooking, ServiceLocation
from opencalendars.slugs import SLUG_PATTERN
from opencalendars.zones import zone

NonEmpty = Annotated[str, Field(min_length=1)]
Slug = Annotated[str, Field(min_length=1, max_length=255, pattern=SLUG_PATTERN)]
LocationType = Literal["offline", "ask_booker"]
DurationUnit = Literal["mins", "hours"]
# Bounds that keep one booking within what the busy-time reads cover (see docs/services.md).
MAX_STAFF = 100
MAX_VARIATIONS = 50
MAX_SERVICES_PER_BOOKING = 20
MAX_ADD_ONS = 50


class CreateServiceLocationDTO(RequestDTO):
    locationId: NonEmpty
    name: NonEmpty
    slug: Slug
    phone: str | None = None
    address: str | None = None
    coverImage: str | None = None
    locationType: LocationType | None = None


class UpdateServiceLocationDTO(RequestDTO):
    name: NonEmpty | None = None
    slug: Slug | None = None
    phone: str | None = None
    address: str | None = None
    coverImage: str | None = None
    locationType: LocationType | None = None


def service_location_dto(place: ServiceLocation) -> dict:
    """ServiceLocationResponseDTO, plus `isDefault`."""
    answer = {
        "id": place.id,
        "locationId": place.location_id,
        "name": place.name,
        "slug": place.slug,
        "isActive": True,
        "isPrivate": False,
        "locationType": place.location_type,
        "isDefault": place.is_default,
    }
    for key, value in (
        ("address", place.address),
        ("phone", place.phone),
        ("coverImage", place.cover_image),
    ):
        if value is not None:
            answer[key] = value
    return answer


# ---- the catalog -----------------------------------------------------------------------------


class StaffDTO(RequestDTO):
    id: NonEmpty


class PaymentDTO(RequestDTO):
    amount: NonNegativeNumber | None = None
    deposit: NonNegativeNumber | None = None
    depositType: Literal["percentage", "amount"] | None = None


class TimingFields(RequestDTO):
    """How long a service (or variation) lasts and the free time it needs around it."""

    serviceDuration: PositiveNumber | None = None
    serviceDurationUnit: DurationUnit | None = None
    preBuffer: NonNegativeNumber | None = None
    preBufferUnit: DurationUnit | None = None
    postBuffer: NonNegativeNumber | None = None
    postBufferUnit: DurationUnit | None = None
    payment: PaymentDTO | None = None


class CreateServiceVariationDTO(TimingFields):
    name: NonEmpty


class UpdateServiceVariationDTO(TimingFields):
    id: NonEmpty | None = None
    name: NonEmpty | None = None


class ServiceFields(TimingFields):
    description: str | None = None
    eventColor: str | None = None
    coverImage: str | None = None
    serviceCategoryId: NonEmpty | None = None
    isPrivate: bool | None = None
    formId: str | None = None


class CreateServiceDTO(ServiceFields):
    locationId: NonEmpty
    name: NonEmpty
    slug: Slug
    staff: Annotated[list[StaffDTO], Field(min_length=1, max_length=MAX_STAFF)]
    variations: Annotated[list[CreateServiceVariationDTO], Field(max_length=MAX_VARIATIONS)] = []


class UpdateServiceDTO(ServiceFields):
    name: NonEmpty | None = None
    slug: Slug | None = None
    staff: Annotated[list[StaffDTO], Field(min_length=1, max_length=MAX_STAFF)] | None = None
    variations: (
        Annotated[list[UpdateServiceVariationDTO], Field(max_length=MAX_VARIATIONS)] | None
    ) = None


TIMING_DEFAULTS = {
    "serviceDuration": 30,
    "serviceDurationUnit": "mins",
    "preBuffer": 0,
    "preBufferUnit": "mins",
    "postBuffer": 0,
    "postBufferUnit": "mins",
}
OPTIONAL_SERVICE_FIELDS = ("description", "eventColor", "coverImage", "formId")


def payment_dto(payment: dict | None) -> dict:
    """PaymentDTO; the amount defaults to 0."""
    return {"amount": 0, **(payment or {})}


def variation_dto(variation: dict) -> dict:
    """ServiceVariationDTO: the variation's own settings as set."""
    answer = dict(variation)
    if "payment" in answer:
        answer["payment"] = payment_dto(answer["payment"])
    return answer


def service_dto(service: Service) -> dict:
    """ServiceResponseDTO, with PRODUCT §7's defaults filled in."""
    settings = service.settings
    answer = {
        "id": service.id,
        "locationId": service.location_id,
        "name": service.name,
        "slug": service.slug,
        "serviceCategoryId": service.service_category_id,
        "isPrivate": service.is_private,
        "payment": payment_dto(settings.get("payment")),
        **{field: settings.get(field, default) for field, default in TIMING_DEFAULTS.items()},
        "staff": [{"id": staff_id} for staff_id in settings["staff"]],
        "variations": [variation_dto(v) for v in settings.get("variations", [])],
    }
    for field in OPTIONAL_SERVICE_FIELDS:
        if settings.get(field) is not None:
            answer[field] = settings[field]
    return answer


# ---- bookings --------------------------------------------------------------------------------

BookingStatus = Literal["confirmed", "cancelled", "invalid", "new", "showed", "no_show"]


class ServiceAddOnDTO(RequestDTO):
    id: NonEmpty
    quantity: PositiveNumber | None = None
    duration: NonNegativeNumber | None = None  # minutes


class CreateBookingServiceDTO(RequestDTO):
    id: NonEmpty
    staffId: NonEmpty | None = None
    position: NonNegativeNumber | None = None
    addOns: Annotated[list[ServiceAddOnDTO], Field(max_length=MAX_ADD_ONS)] = []


BookedServices = Annotated[
    list[CreateBookingServiceDTO], Field(min_length=1, max_length=MAX_SERVICES_PER_BOOKING)
]


class CreatePublicServiceBookingDTO(RequestDTO):
    locationId: NonEmpty
    contactId: NonEmpty
    startTime: Instant
    endTime: Instant
    timezone: NonEmpty
    services: BookedServices
    serviceLocationId: NonEmpty | None = None
    meetingLocation: str | None = None
    title: str | None = None
    status: Literal["confirmed", "new"] = "confirmed"


class UpdateServiceBookingDTO(RequestDTO):
    serviceLocationId: NonEmpty | None = None
    meetingLocation: str | None = None
    title: str | None = None
    status: BookingStatus | None = None
    startTime: Instant | None = None
    endTime: Instant | None = None
    timezone: NonEmpty | None = None
    services: BookedServices | None = None


def booked_service_dto(segment: dict, shown_in) -> dict:
    """ServiceDTO: one service of a booking, when and by whom it is given."""
    return {
        "id": segment["id"],
        "serviceCategoryId": segment["serviceCategoryId"],
        "serviceStaffId": segment["serviceStaffId"],
        "serviceStartTime": iso_local(segment["startMs"], shown_in),
        "serviceEndTime": iso_local(segment["endMs"], shown_in),
        "serviceAddOns": segment["addOns"],
    }


def service_booking_dto(booking: ServiceBooking, timezone: str | None = None) -> dict:
    """ServiceBookingResponseDTO, its times with the offsets of `timezone` (default: the
    booking's own)."""
    shown_in = zone(timezone or booking.timezone)
    answer = {
        "bookingId": booking.id,
        "locationId": booking.location_id,
        "contactId": booking.contact_id,
        "serviceLocationId": booking.service_location_id,
        "title": booking.title,
        "startTime": iso_local(booking.start_ms, shown_in),
        "endTime": iso_local(booking.end_ms, shown_in),
        "services": [booked_service_dto(segment, shown_in) for segment in booking.segments],
        "timezone": booking.timezone,
        "status": booking.status,
        "deleted": booking.deleted,
        "dateAdded": iso_local(booking.date_added_ms, shown_in),
        "dateUpdated": iso_local(booking.date_updated_ms, shown_in),
        "createdBy": booking.created_by,
    }
    if booking.meeting_location is not None:
        answer["meetingLocation"] = booking.meeting_location
    return answer
