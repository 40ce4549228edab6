"""`/calendars/schedules`: user availability schedules and event-calendar schedules."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencalendars.http.auth import Caller, authorize
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import MAX_OFFSET, json_body, whole_number
from opencalendars.schedules import schemas, service

router = APIRouter(prefix="/calendars/schedules", tags=["Availability Schedules"])

READ = "calendars.readonly"
WRITE = "calendars.write"


@router.get("/search")
def get_all_schedules(
    request: Request,
    *,
    caller: Annotated[Caller, authorize(READ)],
    locationId: Annotated[str, Query(min_length=1)],
    userId: Annotated[str, Query(min_length=1)],
    calendarId: Annotated[str | None, Query()] = None,
    skip: Annotated[float, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[float, Query(ge=1, le=500)] = 50,
):
    caller.require_location(locationId)
    found = service.search_schedules(
        request.app.state.db,
        locationId,
        userId,
        calendar_id=calendarId,
        skip=whole_number(skip, "skip"),
        limit=whole_number(limit, "limit"),
    )
    return JsonResponse({"schedules": [schemas.schedule_object_dto(s, ids) for s, ids in found]})


@router.post("", status_code=201)
def create_schedule(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.CreateScheduleDTO, json_body(schemas.CreateScheduleDTO)],
):
    caller.require_location(body.locationId)
    schedule, calendar_ids = service.create_schedule(request.app.state.db, body)
    return JsonResponse(
        {"schedule": schemas.schedule_object_dto(schedule, calendar_ids)}, status_code=201
    )


@router.post("/event-calendar/{calendarId}", status_code=201)
def create_calendar_schedule(
    request: Request,
    *,
    calendarId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[
        schemas.CreateEventCalendarScheduleDTO, json_body(schemas.CreateEventCalendarScheduleDTO)
    ],
):
    schedule = service.create_event_schedule(
        request.app.state.db, caller.location_id, calendarId, dto=body
    )
    return JsonResponse(
        {"schedule": schemas.event_calendar_schedule_dto(schedule)}, status_code=201
    )


@router.get("/event-calendar/{calendarId}")
def get_calendar_schedule(
    request: Request, calendarId: str, caller: Annotated[Caller, authorize(READ)]
):
    schedule = service.read_event_schedule(request.app.state.db, caller.location_id, calendarId)
    return JsonResponse({"schedule": schemas.event_calendar_schedule_dto(schedule)})


@router.put("/event-calendar/{calendarId}")
def update_calendar_schedule(
    request: Request,
    *,
    calendarId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[
        schemas.UpdateEventCalendarScheduleDTO, json_body(schemas.UpdateEventCalendarScheduleDTO)
    ],
):
    schedule = service.update_event_schedule(
        request.app.state.db, caller.location_id, calendarId, dto=body
    )
    return JsonResponse({"schedule": schemas.event_calendar_schedule_dto(schedule)})


@router.get("/{id}")
def get_schedule_by_id(request: Request, id: str, caller: Annotated[Caller, authorize(READ)]):
    schedule, calendar_ids = service.read_schedule(request.app.state.db, caller.location_id, id)
    return JsonResponse({"schedule": schemas.schedule_object_dto(schedule, calendar_ids)})


@router.put("/{id}")
def update_schedule(
    request: Request,
    *,
    id: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.UpdateScheduleDTO, json_body(schemas.UpdateScheduleDTO)],
):
    schedule, calendar_ids = service.update_schedule(
        request.app.state.db, caller.location_id, id, dto=body
    )
    return JsonResponse({"schedule": schemas.schedule_object_dto(schedule, calendar_ids)})


@router.delete("/{id}")
def delete_schedule(request: Request, id: str, caller: Annotated[Caller, authorize(WRITE)]):
    service.delete_schedule(request.app.state.db, caller.location_id, id)
    return JsonResponse({"success": True})


@router.put("/{id}/associations/{calendarId}")
def add_calendar_to_schedule(
    request: Request, *, id: str, calendarId: str, caller: Annotated[Caller, authorize(WRITE)]
):
    service.add_calendar(request.app.state.db, caller.location_id, id, calendar_id=calendarId)
    return JsonResponse({"success": True})


@router.delete("/{id}/associations/{calendarId}")
def remove_calendar_from_schedule(
    request: Request, *, id: str, calendarId: str, caller: Annotated[Caller, authorize(WRITE)]
):
    service.remove_calendar(request.app.state.db, caller.location_id, id, calendar_id=calendarId)
    return JsonResponse({"success": True})
