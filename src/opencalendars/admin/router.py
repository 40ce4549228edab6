"""`/admin`: locations, tokens and the clock, behind `OPENCALENDARS_ADMIN_KEY`."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from opencalendars.admin import schemas, service
from opencalendars.http.admin_key import require_admin
from opencalendars.http.json import JsonResponse
from opencalendars.http.times import body_instant_ms
from opencalendars.http.validation import json_body
from opencalendars.zones import zone

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@router.post("/locations", status_code=201)
def create_location(
    request: Request,
    body: Annotated[schemas.LocationCreateDTO, json_body(schemas.LocationCreateDTO)],
):
    location = service.create_location(
        request.app.state.db,
        body.name,
        body.timezone,
        location_id=body.id,
        require_contacts=body.requireContacts is not False,
        country=body.country,
        allow_duplicate_contacts=body.allowDuplicateContacts is True,
        company_id=body.companyId,
    )
    return JsonResponse({"location": schemas.location_dto(location)}, status_code=201)


@router.put("/locations/{locationId}")
def update_location(
    request: Request,
    locationId: str,
    body: Annotated[schemas.LocationUpdateDTO, json_body(schemas.LocationUpdateDTO)],
):
    location = service.update_location(
        request.app.state.db, locationId, body.model_dump(exclude_unset=True)
    )
    request.app.state.tokens.forget()  # a token's caller carries the location's zone
    return JsonResponse({"location": schemas.location_dto(location)})


@router.get("/locations")
def list_locations(request: Request):
    locations = service.list_locations(request.app.state.db)
    return JsonResponse({"locations": [schemas.location_dto(location) for location in locations]})


@router.post("/tokens", status_code=201)
def create_token(
    request: Request, body: Annotated[schemas.TokenCreateDTO, json_body(schemas.TokenCreateDTO)]
):
    token, secret = service.create_token(
        request.app.state.db, body.locationId, body.scopes, name=body.name
    )
    return JsonResponse({**schemas.token_dto(token), "token": secret}, status_code=201)


@router.get("/tokens")
def list_tokens(request: Request, locationId: Annotated[str | None, Query()] = None):
    tokens = service.list_tokens(request.app.state.db, locationId)
    return JsonResponse({"tokens": [schemas.token_dto(token) for token in tokens]})


@router.delete("/tokens/{token_id}")
def revoke_token(request: Request, token_id: str):
    token = service.revoke_token(request.app.state.db, token_id)
    request.app.state.tokens.forget()  # refused from the very next request
    return JsonResponse(schemas.token_dto(token))


@router.get("/clock")
def read_clock(request: Request):
    return JsonResponse(schemas.clock_dto(*service.read_clock(request.app.state.db)))


@router.put("/clock")
def freeze_clock(
    request: Request, body: Annotated[schemas.ClockSetDTO, json_body(schemas.ClockSetDTO)]
):
    now_ms = body_instant_ms("now", body.now, zone("UTC"))
    service.freeze_clock(request.app.state.db, now_ms)
    return JsonResponse(schemas.clock_dto(now_ms, True))


@router.delete("/clock")
def release_clock(request: Request):
    service.release_clock(request.app.state.db)
    return JsonResponse(schemas.clock_dto(*service.read_clock(request.app.state.db)))
