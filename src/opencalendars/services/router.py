"""`/calendars/services/locations`: where services are given."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencalendars.http.auth import Caller, authorize
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import json_body
from opencalendars.services import schemas, service

router = APIRouter(prefix="/calendars/services", tags=["Services"])

READ = "calendars.readonly"
WRITE = "calendars.write"


@router.get("/locations")
def get_service_locations(
    request: Request,
    caller: Annotated[Caller, authorize(READ)],
    locationId: Annotated[str, Query(min_length=1)],
):
    caller.require_location(locationId)
    places = service.list_places(request.app.state.db, locationId)
    return JsonResponse({"serviceLocations": [schemas.service_location_dto(p) for p in places]})


@router.post("/locations", status_code=201)
def create_service_location(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.CreateServiceLocationDTO, json_body(schemas.CreateServiceLocationDTO)],
):
    caller.require_location(body.locationId)
    place = service.create_place(request.app.state.db, body)
    return JsonResponse(schemas.service_location_dto(place), status_code=201)


@router.get("/locations/{serviceLocationId}")
def get_service_location_by_id(
    request: Request, serviceLocationId: str, caller: Annotated[Caller, authorize(READ)]
):
    place = service.read_place(request.app.state.db, caller.location_id, serviceLocationId)
    return JsonResponse(schemas.service_location_dto(place))


@router.put("/locations/{serviceLocationId}")
def update_service_location(
    request: Request,
    serviceLocationId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.UpdateServiceLocationDTO, json_body(schemas.UpdateServiceLocationDTO)],
):
    place = service.update_place(request.app.state.db, caller.location_id, serviceLocationId, body)
    return JsonResponse(schemas.service_location_dto(place))


@router.delete("/locations/{serviceLocationId}")
def delete_service_location(
    request: Request, serviceLocationId: str, caller: Annotated[Caller, authorize(WRITE)]
):
    service.delete_place(request.app.state.db, caller.location_id, serviceLocationId)
    return JsonResponse({"success": True, "message": "Service location deleted successfully"})
