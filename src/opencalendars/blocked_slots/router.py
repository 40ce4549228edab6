"""Block slots: create, edit, list (`/calendars/blocked-slots`) and delete as events."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from opencalendars.blocked_slots import schemas, service
from opencalendars.http.auth import Caller, authorize
from opencalendars.http.event_lists import EventListQuery, event_list_query
from opencalendars.http.json import JsonResponse
from opencalendars.http.times import body_times
from opencalendars.http.validation import json_body
from opencalendars.zones import zone

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
    times = body_times(body, zone(caller.timezone))
    block = service.create_block(request.app.state.db, body, times)
    return JsonResponse(schemas.blocked_slot_dto(block, caller.timezone), status_code=201)


@router.put("/events/block-slots/{eventId}", status_code=201)
def edit_block_slot(
    request: Request,
    *,
    eventId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.BlockSlotEditRequestDTO, json_body(schemas.BlockSlotEditRequestDTO)],
):
    caller.require_location(body.locationId)
    times = body_times(body, zone(caller.timezone))
    block = service.update_block(request.app.state.db, eventId, body, times=times)
    # 201, as the spec says for this edit.
    return JsonResponse(schemas.blocked_slot_dto(block, caller.timezone), status_code=201)


@router.get("/blocked-slots")
def get_blocked_slots(
    request: Request,
    caller: Annotated[Caller, authorize(READ)],
    query: Annotated[EventListQuery, Depends(event_list_query)],
):
    caller.require_location(query.location_id)
    found = service.list_blocks(request.app.state.db, query)
    return JsonResponse(
        {
            "events": [
                schemas.blocked_slot_event_dto(block, group_id, caller.timezone)
                for block, group_id in found
            ]
        }
    )
