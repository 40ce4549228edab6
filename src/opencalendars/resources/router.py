"""`/calendars/resources/{resourceType}`: rooms and equipment."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from opencalendars.http.auth import Caller, authorize
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import MAX_OFFSET, json_body, whole_number
from opencalendars.resources import schemas, service

router = APIRouter(prefix="/calendars/resources", tags=["Calendar Resources"])

READ = "calendars/resources.readonly"
WRITE = "calendars/resources.write"
ResourceType = Literal["equipments", "rooms"]


@router.get("/{resourceType}")
def fetch_calendar_resources(
    request: Request,
    *,
    resourceType: ResourceType,
    caller: Annotated[Caller, authorize(READ)],
    locationId: Annotated[str, Query(min_length=1)],
    limit: Annotated[float, Query(ge=1, le=100)] = 100,
    skip: Annotated[float, Query(ge=0, le=MAX_OFFSET)] = 0,
):
    caller.require_location(locationId)
    found = service.list_resources(
        request.app.state.db,
        locationId,
        resourceType,
        limit=whole_number(limit, "limit"),
        skip=whole_number(skip, "skip"),
    )
    # The spec answers a bare array here.
    return JsonResponse([schemas.resource_dto(resource) for resource in found])


@router.post("/{resourceType}", status_code=201)
def create_calendar_resource(
    request: Request,
    *,
    resourceType: ResourceType,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[
        schemas.CreateCalendarResourceDTO, json_body(schemas.CreateCalendarResourceDTO)
    ],
):
    caller.require_location(body.locationId)
    resource = service.create_resource(request.app.state.db, resourceType, body)
    return JsonResponse(schemas.resource_dto(resource), status_code=201)


@router.get("/{resourceType}/{id}")
def get_calendar_resource(
    request: Request,
    *,
    resourceType: ResourceType,
    id: str,
    caller: Annotated[Caller, authorize(READ)],
):
    resource = service.read_resource(
        request.app.state.db, caller.location_id, resourceType, resource_id=id
    )
    return JsonResponse(schemas.resource_dto(resource))


@router.put("/{resourceType}/{id}")
def update_calendar_resource(
    request: Request,
    *,
    resourceType: ResourceType,
    id: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[
        schemas.UpdateCalendarResourceDTO, json_body(schemas.UpdateCalendarResourceDTO)
    ],
):
    if body.locationId is not None:
        caller.require_location(body.locationId)
    resource = service.update_resource(
        request.app.state.db, caller.location_id, resourceType, resource_id=id, dto=body
    )
    return JsonResponse(schemas.resource_dto(resource))


@router.delete("/{resourceType}/{id}")
def delete_calendar_resource(
    request: Request,
    *,
    resourceType: ResourceType,
    id: str,
    caller: Annotated[Caller, authorize(WRITE)],
):
    service.delete_resource(request.app.state.db, caller.location_id, resourceType, resource_id=id)
    return JsonResponse({"success": True})
