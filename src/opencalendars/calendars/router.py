"""`/calendars/`: list, create, read, update and delete calendars."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencalendars.calendars import schemas, service
from opencalendars.http.auth import Caller, authorize
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import json_body

router = APIRouter(prefix="/calendars", tags=["Calendars"])

READ = "calendars.readonly"
WRITE = "calendars.write"


# PRODUCT §1: the collection answers with and without the trailing slash.
@router.get("/")
@router.get("", include_in_schema=False)
def get_calendars(
    request: Request,
    *,
    caller: Annotated[Caller, authorize(READ)],
    locationId: Annotated[str, Query(min_length=1)],
    groupId: Annotated[str | None, Query()] = None,
    showDrafted: Annotated[bool, Query()] = True,
):
    caller.require_location(locationId)
    calendars = service.list_calendars(
        request.app.state.db, locationId, groupId, show_drafted=showDrafted
    )
    return JsonResponse({"calendars": [schemas.calendar_dto(calendar) for calendar in calendars]})


@router.post("/")
@router.post("", include_in_schema=False)
def create_calendar(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.CalendarCreateDTO, json_body(schemas.CalendarCreateDTO)],
):
    caller.require_location(body.locationId)
    calendar = service.create_calendar(request.app.state.db, body)
    return JsonResponse({"calendar": schemas.calendar_dto(calendar)})


@router.get("/{calendarId}")
async def get_calendar(
    request: Request, calendarId: str, caller: Annotated[Caller, authorize(READ)]
):
    db = request.app.state.db
    calendar = await service.read_calendar(db, caller.location_id, calendarId)
    return JsonResponse({"calendar": schemas.calendar_dto(calendar)})


@router.put("/{calendarId}")
def update_calendar(
    request: Request,
    *,
    calendarId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.CalendarUpdateDTO, json_body(schemas.CalendarUpdateDTO)],
):
    if body.locationId is not None:
        caller.require_location(body.locationId)
    calendar = service.update_calendar(
        request.app.state.db, caller.location_id, calendarId, dto=body
    )
    return JsonResponse({"calendar": schemas.calendar_dto(calendar)})


@router.delete("/{calendarId}")
def delete_calendar(request: Request, calendarId: str, caller: Annotated[Caller, authorize(WRITE)]):
    service.delete_calendar(request.app.state.db, caller.location_id, calendarId)
    return JsonResponse({"success": True})
