"""`/contacts`: the scheduling subset of the Contacts API (PRODUCT §14, docs/contacts.md).

Literal paths (`/contacts/search`, `/contacts/upsert`) come before `/contacts/{contactId}`, which
would otherwise take them for an id (app.add_routes keeps this order among paths of one length).
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from opencalendars.appointments.schemas import calendar_event_dto
from opencalendars.contacts import schemas, search, service
from opencalendars.http.auth import Caller, authorize
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import json_body

router = APIRouter(prefix="/contacts", tags=["Contacts"])

READ = "contacts.readonly"
WRITE = "contacts.write"


@router.post("/search")
def search_contacts_advanced(
    request: Request,
    caller: Annotated[Caller, authorize(READ)],
    body: Annotated[search.SearchBodyV2DTO, json_body(search.SearchBodyV2DTO)],
):
    caller.require_location(body.locationId)
    found = service.search_contacts(request.app.state.db, body)
    contacts = [
        {**schemas.contact_dto(contact), "searchAfter": found.order.key(contact)}
        for contact in found.contacts
    ]
    return JsonResponse({"contacts": contacts, "total": found.total})


@router.get("/search/duplicate")
def get_duplicate_contact(
    request: Request,
    *,
    caller: Annotated[Caller, authorize(READ)],
    locationId: Annotated[str, Query(min_length=1)],
    number: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
):
    caller.require_location(locationId)
    contact = service.find_duplicate(request.app.state.db, locationId, email, number=number)
    return JsonResponse({"contact": schemas.contact_dto(contact) if contact else None})


@router.post("/upsert")
def upsert_contact(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.UpsertContactDto, json_body(schemas.UpsertContactDto)],
):
    caller.require_location(body.locationId)
    contact, new = service.upsert_contact(request.app.state.db, body)
    return JsonResponse({"new": new, "contact": schemas.contact_dto(contact)})


# The collection answers with and without the trailing slash, like `/calendars/` (PRODUCT §1).
@router.post("/", status_code=201)
@router.post("", status_code=201, include_in_schema=False)
def create_contact(
    request: Request,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.CreateContactDto, json_body(schemas.CreateContactDto)],
):
    caller.require_location(body.locationId)
    contact = service.create_contact(request.app.state.db, body)
    return JsonResponse({"contact": schemas.contact_dto(contact)}, status_code=201)


@router.get("/{contactId}")
def get_contact(request: Request, contactId: str, caller: Annotated[Caller, authorize(READ)]):
    contact = service.read_contact(request.app.state.db, caller.location_id, contactId)
    return JsonResponse({"contact": schemas.contact_dto(contact)})


@router.put("/{contactId}")
def update_contact(
    request: Request,
    *,
    contactId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.UpdateContactDto, json_body(schemas.UpdateContactDto)],
):
    contact = service.update_contact(request.app.state.db, caller.location_id, contactId, dto=body)
    return JsonResponse(schemas.succeeded(contact=schemas.contact_dto(contact)))


@router.delete("/{contactId}")
def delete_contact(request: Request, contactId: str, caller: Annotated[Caller, authorize(WRITE)]):
    service.delete_contact(request.app.state.db, caller.location_id, contactId)
    return JsonResponse(schemas.succeeded())


@router.get("/{contactId}/appointments")
def get_appointments_for_contact(
    request: Request, contactId: str, caller: Annotated[Caller, authorize(READ)]
):
    found = service.contact_appointments(request.app.state.db, caller.location_id, contactId)
    events = [
        calendar_event_dto(appointment, group_id, caller.timezone)
        for appointment, group_id in found
    ]
    return JsonResponse({"events": events})


@router.post("/{contactId}/tags", status_code=201)
def add_tags(
    request: Request,
    *,
    contactId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.TagsDTO, json_body(schemas.TagsDTO)],
):
    contact = service.add_tags(request.app.state.db, caller.location_id, contactId, tags=body.tags)
    return JsonResponse({"tags": contact.tags}, status_code=201)


@router.delete("/{contactId}/tags")
def remove_tags(
    request: Request,
    *,
    contactId: str,
    caller: Annotated[Caller, authorize(WRITE)],
    body: Annotated[schemas.TagsDTO, json_body(schemas.TagsDTO)],
):
    contact = service.remove_tags(
        request.app.state.db, caller.location_id, contactId, tags=body.tags
    )
    return JsonResponse({"tags": contact.tags})
