"""Sending one outbox message: a signed webhook POST, an email over SMTP, or a POST to the
SMS endpoint. Each answers an `Outcome`: delivered, worth retrying, or failed for good.

An email or a text for a contact is sent to the contact as the worker found it just before
sending (worker.py adds these to a copy of the stored payload): `contactEmail` and
`contactPhone` (None when the contact has none or is unknown), and `contactDeleted: true` for a
deleted contact or `contactDnd: true` for one with do not disturb on for the channel, who get
nothing."""

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import unquote, urlsplit

import httpx

from opencalendars.events.signing import Signer
from opencalendars.http.json import dumps


@dataclass(frozen=True)
class Outcome:
    result: str  # delivered | retry | failed
    status_code: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Channels:
    """Where messages go, from the worker's settings (docs/events.md)."""

    smtp_url: str | None
    sms_webhook_url: str | None
    contact_email: str | None  # e.g. "{id}@contacts.example.com"
    user_email: str | None  # e.g. "{id}@staff.example.com"
    timeout_s: float


def http_outcome(response: httpx.Response) -> Outcome:
    """2xx delivered; 429 and 5xx are worth another try; anything else will not get better."""
    code = response.status_code
    if 200 <= code < 300:
        return Outcome("delivered", code)
    result = "retry" if code == 429 or code >= 500 else "failed"
    return Outcome(result, code, f"HTTP {code}")


def post(client: httpx.Client, url: str, content: bytes, *, headers: dict) -> Outcome:
    try:
        response = client.post(url, content=content, headers=headers)
    except httpx.HTTPError as error:
        return Outcome("retry", None, f"{type(error).__name__}: {error}")
    return http_outcome(response)


def send_webhook(client: httpx.Client, signer: Signer, payload: dict) -> Outcome:
    """POSTs the body rendered when the change committed, signed over exactly those bytes
    (`x-ghl-signature` and/or `x-wh-signature`, as OPENCALENDARS_WEBHOOK_SIGNATURES says)."""
    body = payload["body"].encode()
    headers = {"content-type": "application/json", **signer.headers(body)}
    return post(client, payload["url"], body, headers=headers)


def no_recipient(reason: str, payload: dict) -> Outcome:
    if payload.get("contactDeleted"):
        reason += f" (contact {payload['contactId']} is deleted)"
    elif payload.get("contactDnd"):
        contact, channel = payload["contactId"], payload["channel"]
        reason += f" (contact {contact} has do not disturb on for {channel})"
    return Outcome("failed", error=reason)


def unreachable(payload: dict) -> bool:
    """A deleted contact, or one with do not disturb on for the channel, gets nothing."""
    return bool(payload.get("contactDeleted") or payload.get("contactDnd"))


def contact_phone(payload: dict) -> str | None:
    """The contact's phone (E.164) as the worker looked it up; none for a deleted contact or
    one with do not disturb on."""
    if unreachable(payload):
        return None
    return payload.get("contactPhone") or None


def sms_body(payload: dict) -> dict:
    """What the SMS endpoint receives: the payload with the contact's phone first in
    `phoneNumbers` (then `additionalPhoneNumbers`) and as `contactPhone`."""
    phone = contact_phone(payload)
    body = {
        key: value for key, value in payload.items() if key not in ("contactDeleted", "contactDnd")
    }
    numbers = [phone] if phone else []
    body["phoneNumbers"] = list(dict.fromkeys([*numbers, *payload.get("phoneNumbers", [])]))
    body["contactPhone"] = phone
    return body


def send_sms(client: httpx.Client, channels: Channels, payload: dict) -> Outcome:
    if channels.sms_webhook_url is None:
        return Outcome("failed", error="OPENCALENDARS_SMS_WEBHOOK_URL is not set")
    body = sms_body(payload)
    if not body["phoneNumbers"]:
        return no_recipient("no recipient phone number", payload)
    headers = {"content-type": "application/json"}
    return post(client, channels.sms_webhook_url, dumps(body), headers=headers)


def contact_address(channels: Channels, payload: dict) -> str | None:
    """The contact's own email as the worker looked it up; for a contact without one (or an id
    that names no contact) the `OPENCALENDARS_CONTACT_EMAIL` pattern; none for a deleted one or
    one with do not disturb on."""
    contact_id = payload.get("contactId")
    if not contact_id or unreachable(payload):
        return None
    if payload.get("contactEmail"):
        return payload["contactEmail"]
    if channels.contact_email:
        return channels.contact_email.format(id=contact_id)
    return None


def email_addresses(channels: Channels, payload: dict) -> list[str]:
    """The notification's own addresses, the contact's, and the users' from their pattern."""
    addresses = list(payload.get("emails", []))
    contact = contact_address(channels, payload)
    if contact:
        addresses.append(contact)
    if channels.user_email:
        addresses += [channels.user_email.format(id=user) for user in payload.get("userIds", [])]
    return list(dict.fromkeys(addresses))


def send_email(channels: Channels, payload: dict) -> Outcome:
    if channels.smtp_url is None:
        return Outcome("failed", error="OPENCALENDARS_SMTP_URL is not set")
    to = email_addresses(channels, payload)
    if not to:
        return no_recipient("no recipient address", payload)
    url = urlsplit(channels.smtp_url)
    message = EmailMessage()
    sender = payload.get("fromAddress") or f"notifications@{url.hostname or 'localhost'}"
    message["From"] = formataddr((payload.get("fromName") or "", sender))
    message["To"] = ", ".join(to)
    message["Subject"] = payload["subject"]
    message.set_content(payload["body"])
    connect = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    default_port = 465 if url.scheme == "smtps" else 25
    try:
        with connect(url.hostname, url.port or default_port, timeout=channels.timeout_s) as smtp:
            if url.scheme == "smtp+starttls":
                smtp.starttls()
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(message)
    except smtplib.SMTPResponseException as error:
        # 4xx is temporary (try again), 5xx permanent.
        result = "retry" if 400 <= error.smtp_code < 500 else "failed"
        return Outcome(result, error.smtp_code, f"SMTP {error.smtp_code}: {error.smtp_error!r}")
    except smtplib.SMTPRecipientsRefused as error:
        return Outcome("failed", None, f"recipients refused: {sorted(error.recipients)}")
    except (OSError, smtplib.SMTPException) as error:
        return Outcome("retry", None, f"{type(error).__name__}: {error}")
    return Outcome("delivered")
