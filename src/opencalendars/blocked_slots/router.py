"""Block slots: create, edit, list (`/calendars/blocked-slots`) and delete as events."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencalendars.blocked_slots import schemas, service
from opencalendars.http.auth import Caller, authorize
from opencalendars.http.errors import BadRequest
from opencalendars.http.json import JsonResponse
from opencalendars.http.times import query_epoch_ms
from opencalendars.http.validation import json_body

router = APIRouter(prefix="/calendars", tags=["Calendar Events"])

READ = "calendars/events.readonly"
WRITE = "calendars/events.write"


@router.post("/events/block-slots", status_code=201)
def create_block_slot(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[
        schemas.BlockSlotCreateRequestDTO, json_body(schemas.BlockSlotCreateRequestDTO)
    ],
):
    caller.require_location(body.locationId)
    block = service.create_block(request.app.state.db, caller.timezone, body)
    return JsonResponse(schemas.blocked_slot_dto(block, caller.timezone), status_code=201)


@router.put("/events/block-slots/{eventId}", status_code=201)
def edit_block_slot(
    request: Request,
    eventId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.BlockSlotEditRequestDTO, json_body(schemas.BlockSlotEditRequestDTO)],
):
    caller.require_location(body.locationId)
    block = service.update_block(request.app.state.db, caller.timezone, eventId, body)
    # 201, as the spec says for this edit.
    return JsonResponse(schemas.blocked_slot_dto(block, caller.timezone), status_code=201)


@router.get("/blocked-slots")
def get_blocked_slots(
    request: Request,
    caller: Annotated[Caller, authorize(READ)],
    locationId: Annotated[str, Query(min_length=1)],
    startTime: Annotated[str, Query(min_length=1)],
    endTime: Annotated[str, Query(min_length=1)],
    calendarId: Annotated[str | None, Query()] = None,
    userId: Annotated[str | None, Query()] = None,
    groupId: Annotated[str | None, Query()] = None,
):
    caller.require_location(locationId)
    start_ms = query_epoch_ms("startTime", startTime)
    end_ms = query_epoch_ms("endTime", endTime)
    if calendarId is None and userId is None and groupId is None:
        raise BadRequest(["one of calendarId, userId or groupId is required"])
    found = service.list_blocks(
        request.app.state.db, locationId, start_ms, end_ms, calendarId, userId, groupId
    )
    return JsonResponse(
        {
            "events": [
                schemas.blocked_slot_event_dto(block, group_id, caller.timezone)
                for block, group_id in found
            ]
        }
    )
