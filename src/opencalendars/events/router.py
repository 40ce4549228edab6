"""`GET /webhooks/public-key` (public) and `/admin/webhooks`, `/admin/outbox` (admin key)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from opencalendars.events import outbox, schemas, signing, webhooks
from opencalendars.http.admin_key import require_admin
from opencalendars.http.json import JsonResponse
from opencalendars.http.validation import json_body

public_router = APIRouter(tags=["webhooks"])
admin_router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])


@public_router.get("/webhooks/public-key", response_class=PlainTextResponse)
def webhook_public_key(
    request: Request,
    alg: Annotated[Literal["ed25519", "rsa"] | None, Query()] = None,
):
    """The PEM public key (SubjectPublicKeyInfo) that verifies `x-ghl-signature`
    (`?alg=ed25519`) or `x-wh-signature` (`?alg=rsa`, and without `alg`, as before Ed25519)."""
    settings = request.app.state.settings
    key_files = {"ed25519": settings.webhook_ed25519_key_file, "rsa": settings.webhook_key_file}
    name = alg or "rsa"
    return PlainTextResponse(
        signing.public_key_pem(request.app.state.db, name, key_files[name]),
        media_type="application/x-pem-file",
    )


@admin_router.post("/webhooks", status_code=201)
def create_webhook(
    request: Request,
    body: Annotated[schemas.WebhookCreateDTO, json_body(schemas.WebhookCreateDTO)],
):
    subscription = webhooks.create_subscription(
        request.app.state.db, body.locationId, body.url, events=body.events
    )
    return JsonResponse({"webhook": schemas.webhook_dto(subscription)}, status_code=201)


@admin_router.get("/webhooks")
def list_webhooks(request: Request, locationId: Annotated[str | None, Query()] = None):
    found = webhooks.list_subscriptions(request.app.state.db, locationId)
    return JsonResponse({"webhooks": [schemas.webhook_dto(s) for s in found]})


@admin_router.delete("/webhooks/{webhook_id}")
def delete_webhook(request: Request, webhook_id: str):
    webhooks.delete_subscription(request.app.state.db, webhook_id)
    return JsonResponse({"success": True})


@admin_router.get("/outbox")
def list_outbox(
    request: Request,
    # Without it, every location's messages and those of no location (a company's app webhooks).
    *,
    locationId: Annotated[str | None, Query(min_length=1)] = None,
    status: Annotated[
        Literal["pending", "delivered", "failed", "cancelled"] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
):
    found = outbox.list_messages(request.app.state.db, locationId, status, limit=limit)
    return JsonResponse({"messages": [schemas.message_dto(m, a) for m, a in found]})
