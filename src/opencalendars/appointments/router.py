"""Appointments, the events list, deleting any event, and appointment notes."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from opencalendars.appointments import schemas, service
from opencalendars.http.auth import Caller, authorize
from opencalendars.http.event_lists import EventListQuery, event_list_query
from opencalendars.http.json import JsonResponse
from opencalendars.http.times import body_times
from opencalendars.http.validation import MAX_OFFSET, json_body, whole_number
from opencalendars.zones import zone

router = APIRouter(prefix="/calendars", tags=["Appointments"])

READ = "calendars/events.readonly"
WRITE = "calendars/events.write"


@router.post("/events/appointments")
async def create_appointment(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.AppointmentCreateSchema, json_body(schemas.AppointmentCreateSchema)],
):
    caller.require_location(body.locationId)
    times = body_times(body, zone(caller.timezone))
    appointment = await service.create_appointment(
        request.app.state.db, caller.context, body, times=times
    )
    return JsonResponse(schemas.appointment_dto(appointment, caller.timezone))


@router.put("/events/appointments/{eventId}")
def edit_appointment(
    request: Request,
    *,
    eventId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.AppointmentEditSchema, json_body(schemas.AppointmentEditSchema)],
):
    times = body_times(body, zone(caller.timezone))
    appointment = service.update_appointment(
        request.app.state.db, caller.context, appointment_id=eventId, dto=body, times=times
    )
    return JsonResponse(schemas.appointment_dto(appointment, caller.timezone))


@router.get("/events/appointments/{eventId}")
def get_appointment(request: Request, eventId: str, caller: Annotated[Caller, authorize(READ)]):
    appointment, group_id = service.read_appointment(
        request.app.state.db, caller.context, event_id=eventId
    )
    event = schemas.calendar_event_dto(appointment, group_id, caller.timezone)
    # Clients of the live service read `appointment`; the spec names `event` (docs/fidelity.md).
    return JsonResponse({"appointment": event, "event": event})


@router.get("/events")
def get_calendar_events(
    request: Request,
    caller: Annotated[Caller, authorize(READ)],
    query: Annotated[EventListQuery, Depends(event_list_query)],
):
    caller.require_location(query.location_id)
    found = service.list_events(request.app.state.db, caller.context, query)
    return JsonResponse(
        {
            "events": [
                schemas.calendar_event_dto(appointment, group_id, caller.timezone)
                for appointment, group_id in found
            ]
        }
    )


@router.delete("/events/{eventId}")
def delete_event(request: Request, eventId: str, caller: Annotated[Caller, authorize(WRITE)]):
    """200, as the live service answers (the spec documents 201; docs/fidelity.md)."""
    service.delete_event(request.app.state.db, caller.context, event_id=eventId)
    return JsonResponse({"succeeded": True})


NOTES = "/appointments/{appointmentId}/notes"


@router.get(NOTES)
def get_appointment_notes(
    request: Request,
    *,
    appointmentId: str,
    caller: Annotated[Caller, authorize(READ)],
    limit: Annotated[float, Query(ge=1, le=100)] = 10,
    offset: Annotated[float, Query(ge=0, le=MAX_OFFSET)] = 0,
):
    notes, has_more = service.list_notes(
        request.app.state.db,
        caller.location_id,
        appointmentId,
        limit=whole_number(limit, "limit"),
        offset=whole_number(offset, "offset"),
    )
    return JsonResponse({"notes": [schemas.note_dto(note) for note in notes], "hasMore": has_more})


@router.post(NOTES, status_code=201)
def create_appointment_note(
    request: Request,
    *,
    appointmentId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.NotesDTO, json_body(schemas.NotesDTO)],
):
    note = service.create_note(request.app.state.db, caller.location_id, appointmentId, dto=body)
    return JsonResponse({"note": schemas.note_dto(note)}, status_code=201)


@router.put(NOTES + "/{noteId}")
def update_appointment_note(
    request: Request,
    *,
    appointmentId: str,
    noteId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.NotesDTO, json_body(schemas.NotesDTO)],
):
    note = service.update_note(
        request.app.state.db, caller.location_id, appointmentId, note_id=noteId, dto=body
    )
    return JsonResponse({"note": schemas.note_dto(note)})


@router.delete(NOTES + "/{noteId}")
def delete_appointment_note(
    request: Request,
    *,
    appointmentId: str,
    noteId: str,
    caller: Annotated[Caller, authorize(WRITE)],
):
    service.delete_note(request.app.state.db, caller.location_id, appointmentId, note_id=noteId)
    return JsonResponse({"success": True})
