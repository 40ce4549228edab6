"""`/oauth`: the token endpoint and the agency endpoints, in both editions of the spec
(`/oauth/locationToken` and `/oauth/location-token`, `/oauth/installedLocations` and
`/oauth/installed-locations`); and `/admin` companies, apps and installs (docs/marketplace.md)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from opencalendars.errors import BadRequest, NotFound
from opencalendars.http.admin_key import require_admin
from opencalendars.http.auth import AgencyCaller, authorize_agency, check_version
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import json_body
from opencalendars.marketplace import schemas, service
from opencalendars.marketplace.errors import AipError

router = APIRouter(prefix="/oauth", tags=["OAuth 2.0"])
admin_router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])

MAX_PAGE = 100


async def form_of(request: Request) -> dict[str, str]:
    return schemas.form_fields(request.headers.get("content-type", ""), await request.body())


Form = Annotated[dict[str, str], Depends(form_of)]


@router.post("/token")
def get_access_token(request: Request, fields: Form):
    """Sync: a grant writes (it spends its code or refresh token), in a worker thread."""
    tokens = request.app.state.app_tokens
    answer = service.grant(tokens.db, tokens.signing_secret(), schemas.token_request(fields))
    return JsonResponse(answer)


# Both editions' paths; the form is read after the token check: an unauthenticated request
# learns nothing of it.
@router.post("/locationToken")
@router.post("/location-token")
def get_location_access_token(
    request: Request,
    caller: Annotated[AgencyCaller, authorize_agency("oauth.write")],
    fields: Form,
):
    company_id = schemas.required_field(fields, "companyId", "company_id")
    location_id = schemas.required_field(fields, "locationId", "location_id")
    tokens = request.app.state.app_tokens
    answer = service.location_token(
        tokens.db, tokens.signing_secret(), caller, company_id=company_id, location_id=location_id
    )
    return JsonResponse(answer)


@router.get("/installedLocations")
def get_installed_location(
    request: Request,
    *,
    caller: Annotated[AgencyCaller, authorize_agency("oauth.readonly")],
    companyId: Annotated[str, Query(min_length=1, max_length=64)],
    appId: Annotated[str, Query(min_length=1, max_length=64)],
    skip: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    query: Annotated[str | None, Query(max_length=255)] = None,
    isInstalled: Annotated[str | None, Query()] = None,
    locationId: Annotated[str | None, Query(max_length=64)] = None,
    versionId: Annotated[str | None, Query(max_length=64)] = None,
    onTrial: Annotated[str | None, Query()] = None,
    planId: Annotated[str | None, Query(max_length=64)] = None,
):
    asked = schemas.installed_query(
        companyId=companyId,
        appId=appId,
        query=query,
        isInstalled=isInstalled,
        locationId=locationId,
        versionId=versionId,
        onTrial=onTrial,
        planId=planId,
    )
    locations, total = service.installed_locations(
        request.app.state.db, caller, asked, skip=skip, limit=limit
    )
    return JsonResponse(
        {
            "locations": [schemas.installed_location_dto(location) for location in locations],
            "count": total,
            "installToFutureLocations": False,
        }
    )


@router.get("/installed-locations")
def get_installed_location_v3(
    request: Request,
    # The Version header and every parameter are checked here, so that each refusal is the
    # edition's AIP error (`AipErrorResponseDto`), not the usual envelope.
    *,
    caller: Annotated[AgencyCaller, authorize_agency("oauth.readonly", checks_version=False)],
    companyId: str | None = None,
    appId: str | None = None,
    pageSize: str | None = None,
    pageToken: str | None = None,
    query: str | None = None,
    isInstalled: str | None = None,
    restrictToUserLocations: str | None = None,
    locationId: str | None = None,
    versionId: str | None = None,
    onTrial: str | None = None,
    planId: str | None = None,
):
    try:
        check_version(request)
        asked = schemas.installed_query(
            companyId=companyId,
            appId=appId,
            query=query,
            isInstalled=isInstalled,
            locationId=locationId,
            versionId=versionId,
            onTrial=onTrial,
            planId=planId,
        )
        # Every location here is the operator's: restricting to the user's changes nothing.
        schemas.query_flag("restrictToUserLocations", restrictToUserLocations)
        size = schemas.page_size(pageSize, MAX_PAGE)
        offset = schemas.page_offset(pageToken)
        locations, total = service.installed_locations(
            request.app.state.db, caller, asked, skip=offset, limit=size
        )
    except (BadRequest, NotFound) as refused:
        raise AipError(refused) from None
    after = offset + len(locations)
    pagination = {
        "totalRecords": total,
        "hasNextPage": after < total,
        "hasPrevPage": offset > 0,
        "currentPageSize": len(locations),
    }
    # The page tokens are strings in the spec: absent where there is no such page.
    if after < total:
        pagination["nextPageToken"] = schemas.page_token(after)
    if offset > 0:
        pagination["prevPageToken"] = schemas.page_token(max(0, offset - size))
    return JsonResponse(
        {
            "items": [schemas.installed_location_dto(location) for location in locations],
            "pagination": pagination,
            "installToFutureLocations": False,
        }
    )


# --- admin --------------------------------------------------------------------------------


@admin_router.post("/companies", status_code=201)
def create_company(
    request: Request,
    body: Annotated[schemas.CompanyCreateDTO, json_body(schemas.CompanyCreateDTO)],
):
    company = service.create_company(request.app.state.db, body.name, body.id)
    return JsonResponse({"company": schemas.company_dto(company)}, status_code=201)


@admin_router.get("/companies")
def list_companies(request: Request):
    companies = service.list_companies(request.app.state.db)
    return JsonResponse({"companies": [schemas.company_dto(company) for company in companies]})


@admin_router.post("/apps", status_code=201)
def create_app(
    request: Request, body: Annotated[schemas.AppCreateDTO, json_body(schemas.AppCreateDTO)]
):
    app, secret = service.create_app(
        request.app.state.db,
        name=body.name,
        redirect_uris=body.redirectUris,
        scopes=body.scopes,
        webhook_url=body.webhookUrl,
        distribution=body.distribution,
    )
    return JsonResponse({"app": {**schemas.app_dto(app), "clientSecret": secret}}, status_code=201)


@admin_router.get("/apps")
def list_apps(request: Request):
    return JsonResponse(
        {"apps": [schemas.app_dto(app) for app in service.list_apps(request.app.state.db)]}
    )


@admin_router.post("/installs", status_code=201)
def create_install(
    request: Request,
    body: Annotated[schemas.InstallCreateDTO, json_body(schemas.InstallCreateDTO)],
):
    found, code = service.admin_install(
        request.app.state.db,
        app_id=body.appId,
        location_id=body.locationId,
        company_id=body.companyId,
        redirect_uri=body.redirectUri,
        scopes=body.scopes,
    )
    return JsonResponse({"install": schemas.install_dto(found), "code": code}, status_code=201)


@admin_router.get("/installs")
def list_installs(request: Request, appId: Annotated[str | None, Query(max_length=64)] = None):
    installs = service.list_installs(request.app.state.db, appId)
    return JsonResponse({"installs": [schemas.install_dto(found) for found in installs]})


@admin_router.delete("/installs/{installId}")
def uninstall(request: Request, installId: str):
    found = service.uninstall(request.app.state.db, installId)
    return JsonResponse({"install": schemas.install_dto(found)})
