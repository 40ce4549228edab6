"""`/calendars/services/...`: service locations, the service catalog and service bookings."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencalendars.http.auth import Caller, authorize
from opencalendars.http.json import JsonResponse
from opencalendars.http.times import query_epoch_ms
from opencalendars.http.validation import json_body
from opencalendars.services import bookings, catalog, locations, schemas
from opencalendars.services.bookings import Checks

router = APIRouter(prefix="/calendars/services", tags=["Services"])

READ = "calendars.readonly"
WRITE = "calendars.write"
EVENTS_READ = "calendars/events.readonly"
EVENTS_WRITE = "calendars/events.write"


@router.get("/locations")
def get_service_locations(
    request: Request,
    caller: Annotated[Caller, authorize(READ)],
    locationId: Annotated[str, Query(min_length=1)],
):
    caller.require_location(locationId)
    places = locations.list_places(request.app.state.db, locationId)
    return JsonResponse({"serviceLocations": [schemas.service_location_dto(p) for p in places]})


@router.post("/locations", status_code=201)
def create_service_location(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.CreateServiceLocationDTO, json_body(schemas.CreateServiceLocationDTO)],
):
    caller.require_location(body.locationId)
    place = locations.create_place(request.app.state.db, body)
    return JsonResponse(schemas.service_location_dto(place), status_code=201)


@router.get("/locations/{serviceLocationId}")
def get_service_location_by_id(
    request: Request, serviceLocationId: str, caller: Annotated[Caller, authorize(READ)]
):
    place = locations.read_place(request.app.state.db, caller.location_id, serviceLocationId)
    return JsonResponse(schemas.service_location_dto(place))


@router.put("/locations/{serviceLocationId}")
def update_service_location(
    request: Request,
    *,
    serviceLocationId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.UpdateServiceLocationDTO, json_body(schemas.UpdateServiceLocationDTO)],
):
    place = locations.update_place(
        request.app.state.db, caller.location_id, serviceLocationId, dto=body
    )
    return JsonResponse(schemas.service_location_dto(place))


@router.delete("/locations/{serviceLocationId}")
def delete_service_location(
    request: Request, serviceLocationId: str, caller: Annotated[Caller, authorize(WRITE)]
):
    locations.delete_place(request.app.state.db, caller.location_id, serviceLocationId)
    return JsonResponse({"success": True, "message": "Service location deleted successfully"})


# ---- the catalog -----------------------------------------------------------------------------


@router.get("/catalog")
def get_services_catalog(
    request: Request,
    *,
    caller: Annotated[Caller, authorize(READ)],
    locationId: Annotated[str, Query(min_length=1)],
    serviceCategoryId: Annotated[str | None, Query(min_length=1)] = None,
    isPrivate: Annotated[bool | None, Query()] = None,
):
    caller.require_location(locationId)
    found = catalog.list_services(
        request.app.state.db, locationId, serviceCategoryId, is_private=isPrivate
    )
    return JsonResponse({"services": [schemas.service_dto(s) for s in found]})


@router.post("/catalog", status_code=201)
def create_service_catalog(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.CreateServiceDTO, json_body(schemas.CreateServiceDTO)],
):
    caller.require_location(body.locationId)
    created = catalog.create_service(request.app.state.db, body)
    return JsonResponse({"service": schemas.service_dto(created)}, status_code=201)


@router.get("/catalog/{serviceId}")
def get_service_catalog_by_id(
    request: Request, serviceId: str, caller: Annotated[Caller, authorize(READ)]
):
    found = catalog.read_service(request.app.state.db, caller.location_id, serviceId)
    return JsonResponse({"service": schemas.service_dto(found)})


@router.put("/catalog/{serviceId}")
def update_service_catalog(
    request: Request,
    *,
    serviceId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.UpdateServiceDTO, json_body(schemas.UpdateServiceDTO)],
):
    updated = catalog.update_service(request.app.state.db, caller.location_id, serviceId, dto=body)
    return JsonResponse({"service": schemas.service_dto(updated)})


@router.delete("/catalog/{serviceId}")
def delete_service_catalog(
    request: Request, serviceId: str, caller: Annotated[Caller, authorize(WRITE)]
):
    catalog.delete_service(request.app.state.db, caller.location_id, serviceId)
    return JsonResponse({"success": True, "message": "Service deleted successfully"})


# ---- bookings --------------------------------------------------------------------------------


def booking_answer(booking, messages: list[str]) -> dict:
    """CreateOrUpdateServiceBookingResponseDTO: the booking, and `messages` when there are any."""
    answer = schemas.service_booking_dto(booking)
    if messages:
        answer["messages"] = messages
    return answer


@router.get("/bookings")
def get_service_bookings(
    request: Request,
    *,
    caller: Annotated[Caller, authorize(EVENTS_READ)],
    locationId: Annotated[str, Query(min_length=1)],
    startTime: Annotated[str, Query(min_length=1)],
    endTime: Annotated[str, Query(min_length=1)],
    timezone: Annotated[str | None, Query()] = None,
    serviceLocationId: Annotated[str | None, Query(min_length=1)] = None,
):
    caller.require_location(locationId)
    if timezone is not None:
        bookings.booking_zone(timezone)
    found = bookings.list_bookings(
        request.app.state.db,
        locationId,
        query_epoch_ms("startTime", startTime),
        end_ms=query_epoch_ms("endTime", endTime),
        place_id=serviceLocationId,
    )
    return JsonResponse({"bookings": [schemas.service_booking_dto(b, timezone) for b in found]})


@router.post("/bookings", status_code=201)
def create_service_booking(
    request: Request,
    *,
    caller: Annotated[Caller, authorize(EVENTS_WRITE)],
    body: Annotated[
        schemas.CreatePublicServiceBookingDTO, json_body(schemas.CreatePublicServiceBookingDTO)
    ],
    overrideAvailability: Annotated[bool, Query()] = False,
    skipSchedulingNotice: Annotated[bool, Query()] = False,
):
    caller.require_location(body.locationId)
    checks = Checks(availability=not overrideAvailability, notice=not skipSchedulingNotice)
    booking, messages = bookings.create_booking(
        request.app.state.db, caller.context, body, checks=checks
    )
    return JsonResponse(booking_answer(booking, messages), status_code=201)


@router.get("/bookings/{bookingId}")
def get_service_booking_by_id(
    request: Request, bookingId: str, caller: Annotated[Caller, authorize(EVENTS_READ)]
):
    booking = bookings.read_booking(request.app.state.db, caller.location_id, bookingId)
    return JsonResponse(schemas.service_booking_dto(booking))


@router.put("/bookings/{bookingId}")
def update_service_booking(
    request: Request,
    *,
    bookingId: str,
    caller: Annotated[Caller, authorize(EVENTS_WRITE)],
    body: Annotated[schemas.UpdateServiceBookingDTO, json_body(schemas.UpdateServiceBookingDTO)],
    overrideAvailability: Annotated[bool, Query()] = False,
    skipSchedulingNotice: Annotated[bool, Query()] = False,
):
    checks = Checks(availability=not overrideAvailability, notice=not skipSchedulingNotice)
    booking, messages = bookings.update_booking(
        request.app.state.db,
        caller.context,
        booking_id=bookingId,
        dto=body,
        checks=checks,
    )
    return JsonResponse(booking_answer(booking, messages))


@router.delete("/bookings/{bookingId}")
def delete_service_booking(
    request: Request, bookingId: str, caller: Annotated[Caller, authorize(EVENTS_WRITE)]
):
    bookings.delete_booking(request.app.state.db, caller.location_id, bookingId)
    return JsonResponse({"success": True, "message": "Service booking deleted successfully"})
