"""`/calendars/groups`: the six group operations of the spec."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencalendars.groups import schemas, service
from opencalendars.http.auth import Caller, authorize
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import json_body

router = APIRouter(prefix="/calendars/groups", tags=["Calendar Groups"])

READ = "calendars/groups.readonly"
WRITE = "calendars/groups.write"


@router.get("")
async def get_groups(
    request: Request,
    caller: Annotated[Caller, authorize(READ)],
    locationId: Annotated[str, Query(min_length=1)],
):
    caller.require_location(locationId)
    db = request.app.state.db
    groups = await service.list_groups(db, locationId)
    return JsonResponse({"groups": [schemas.group_dto(group) for group in groups]})


@router.post("", status_code=201)
def create_calendar_group(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.GroupCreateDTO, json_body(schemas.GroupCreateDTO)],
):
    caller.require_location(body.locationId)
    group = service.create_group(request.app.state.db, body)
    return JsonResponse({"group": schemas.group_dto(group)}, status_code=201)


@router.post("/validate-slug")
def validate_groups_slug(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[
        schemas.ValidateGroupSlugPostBody, json_body(schemas.ValidateGroupSlugPostBody)
    ],
):
    caller.require_location(body.locationId)
    return JsonResponse(
        {"available": service.is_slug_available(request.app.state.db, body.locationId, body.slug)}
    )


@router.delete("/{groupId}")
def delete_group(request: Request, groupId: str, caller: Annotated[Caller, authorize(WRITE)]):
    service.delete_group(request.app.state.db, caller.location_id, groupId)
    return JsonResponse({"success": True})


@router.put("/{groupId}")
def edit_group(
    request: Request,
    *,
    groupId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.GroupUpdateDTO, json_body(schemas.GroupUpdateDTO)],
):
    group = service.update_group(request.app.state.db, caller.location_id, groupId, dto=body)
    return JsonResponse({"group": schemas.group_dto(group)})


@router.put("/{groupId}/status")
def disable_group(
    request: Request,
    *,
    groupId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.GroupStatusUpdateParams, json_body(schemas.GroupStatusUpdateParams)],
):
    service.set_group_status(
        request.app.state.db, caller.location_id, groupId, is_active=body.isActive
    )
    return JsonResponse({"success": True})
