"""The app's own webhooks, `INSTALL` and `UNINSTALL` (spec/webhook-AppInstall.md and
webhook-AppUninstall.md), with the fields the official SDK's `WebhookManager` reads
(`versionId`, `installType`, `timestamp`, `webhookId`). They go through the outbox, signed
like every webhook (events/)."""

from sqlalchemy.orm import Session

from opencalendars.http.times import iso_utc_ms
from opencalendars.ids import new_id
from opencalendars.marketplace.models import App, AppInstall, Company


def install_body(session: Session, app: App, found: AppInstall, *, now_ms: int) -> dict:
    body = {
        "type": "INSTALL",
        "appId": app.id,
        "versionId": app.id,
        "installType": "Company" if found.location_id is None else "Location",
        "companyId": found.company_id,
        "userId": found.user_id,
        "timestamp": iso_utc_ms(now_ms),
        "webhookId": new_id(),
    }
    if found.location_id is not None:
        body["locationId"] = found.location_id
    company = None if found.company_id is None else session.get(Company, found.company_id)
    if company is not None:
        body["companyName"] = company.name
        body["isWhitelabelCompany"] = False
        body["whitelabelDetails"] = {}
    return {key: value for key, value in body.items() if value is not None}


def uninstall_body(app: App, found: AppInstall, now_ms: int) -> dict:
    """A location's uninstall names the location; a company's names the company."""
    body = {
        "type": "UNINSTALL",
        "appId": app.id,
        "versionId": app.id,
        "timestamp": iso_utc_ms(now_ms),
        "webhookId": new_id(),
    }
    if found.location_id is not None:
        body["locationId"] = found.location_id
    else:
        body["companyId"] = found.company_id
    return body
