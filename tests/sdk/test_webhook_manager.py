"""The official SDK's webhook middleware (`WebhookManager.subscribe()`,
highlevel/webhook/webhook_manager.py) fed the INSTALL and UNINSTALL webhooks a real server's
worker delivers to a real receiver (issue 15, docs/marketplace.md).

An agency app is installed on a company (its company token kept in the SDK's session storage),
then on one of the company's locations: the middleware verifies the Ed25519 signature with the
server's public key, makes the location's token from the company token through
`/oauth/location-token` and stores it under the location; the UNINSTALL webhook removes it, and
the server stops the token at once.
"""

import asyncio
import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs

import httpx
import pytest
from highlevel import HighLevel
from highlevel.storage import MemorySessionStorage

from support.api import ADMIN_HEADERS
from support.databases import fresh_database
from support.receivers import HttpReceiver, Received, http_receiver
from support.server import live_server, live_worker

REDIRECT_URI = "https://agency-app.example/oauth/callback"
SCOPES = ["oauth.readonly", "oauth.write", "calendars.readonly", "calendars.write"]
SIGNATURE = "x-ghl-signature"


@dataclass
class Sandbox:
    base_url: str
    admin: httpx.Client

    def call(self, method: str, path: str, **kwargs) -> dict:
        answer = self.admin.request(method, path, headers=ADMIN_HEADERS, **kwargs)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    """A server and a worker delivering its outbox, on a database of their own."""
    directory: Path = tmp_path_factory.mktemp("webhook-manager")
    with (
        fresh_database(directory) as url,
        live_server(url, directory) as server,
        live_worker(url, directory),
        httpx.Client(base_url=server.base_url, timeout=30) as admin,
    ):
        yield Sandbox(server.base_url, admin)


class WebhookRequest:
    """What a web framework hands the middleware: the raw body (an async callable, as
    Starlette's), the headers, and a `state` the middleware writes its verdict on."""

    def __init__(self, received: Received):
        self.raw = received.body
        self.headers = dict(received.headers)
        self.method = "POST"
        self.url = "http://127.0.0.1/webhooks/highlevel"
        self.state = SimpleNamespace()

    async def body(self) -> bytes:
        return self.raw


@dataclass
class Agency:
    """An agency app with a webhook URL (the receiver), a company and one of its locations."""

    sandbox: Sandbox
    receiver: HttpReceiver
    app: dict
    company_id: str
    location_id: str
    company_code: str
    ghl: HighLevel | None = None
    company_answer: dict = field(default_factory=dict)
    location_install_id: str = ""
    sent: list[httpx.Request] = field(default_factory=list)

    async def installed(self) -> HighLevel:
        """The app's side of the installs, in the running event loop: the SDK in OAuth mode
        exchanges the company's code and keeps the company token in its session storage; then
        the operator installs the app on the location, and both INSTALL webhooks arrive."""
        self.ghl = HighLevel(
            client_id=self.app["clientId"],
            client_secret=self.app["clientSecret"],
            session_storage=MemorySessionStorage(),
        )

        async def remember(response: httpx.Response) -> None:
            self.sent.append(response.request)

        self.ghl.http_client.event_hooks["response"].insert(0, remember)
        self.company_answer = await self.ghl.oauth.get_access_token(
            {
                "client_id": self.app["clientId"],
                "client_secret": self.app["clientSecret"],
                "grant_type": "authorization_code",
                "code": self.company_code,
                "user_type": "Company",
                "redirect_uri": REDIRECT_URI,
            }
        )
        assert self.company_answer["userType"] == "Company"
        assert self.company_answer["companyId"] == self.company_id
        await self.ghl.session_storage.set_session(self.company_id, self.company_answer)
        self.location_install_id = self.sandbox.call(
            "POST",
            "/admin/installs",
            json={
                "appId": self.app["id"],
                "locationId": self.location_id,
                "redirectUri": REDIRECT_URI,
            },
        )["install"]["id"]
        self.wait_for("INSTALL", installType="Company", companyId=self.company_id)
        self.wait_for("INSTALL", installType="Location", locationId=self.location_id)
        self.sent.clear()
        return self.ghl

    def webhook(self, kind: str, **fields) -> Received:
        """The delivered webhook of this type whose body has these fields."""
        for item in self.receiver.received:
            body = item.json()
            if body["type"] == kind and all(body.get(k) == v for k, v in fields.items()):
                return item
        raise AssertionError(f"no {kind} webhook with {fields}")

    def wait_for(self, kind: str, **fields) -> Received:
        count = 1
        while True:
            self.receiver.wait_for(count)
            try:
                return self.webhook(kind, **fields)
            except AssertionError:
                count = len(self.receiver.received) + 1

    async def middleware(self, received: Received) -> WebhookRequest:
        """The SDK's middleware run on a delivery, as a web framework would."""
        request = WebhookRequest(received)
        await self.ghl.webhooks.subscribe()(request)
        return request

    async def stored(self, resource_id: str) -> dict | None:
        return await self.ghl.session_storage.get_session(resource_id)

    def location_token_requests(self) -> list[dict[str, str]]:
        return [
            {key: value for key, (value,) in parse_qs(request.content.decode()).items()}
            for request in self.sent
            if request.url.path == "/oauth/location-token"
        ]


def bearer(access_token: str) -> dict:
    return {"Authorization": f"Bearer {access_token}", "Version": "2021-04-15"}


def claims(access_token: str) -> dict:
    part = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.fixture
def agency(sandbox, monkeypatch) -> Iterator[Agency]:
    """The operator's side: the app, the company and its location, the install on the company
    (its code), and the middleware's environment."""
    monkeypatch.setattr(HighLevel, "BASE_URL", sandbox.base_url)
    with http_receiver() as receiver:
        app = sandbox.call(
            "POST",
            "/admin/apps",
            json={
                "name": "Agency scheduler",
                "redirectUris": [REDIRECT_URI],
                "scopes": SCOPES,
                "webhookUrl": receiver.url,
                "distribution": "agency",
            },
        )["app"]
        company = sandbox.call("POST", "/admin/companies", json={"name": "Acme Agency"})
        company_id = company["company"]["id"]
        location = sandbox.call(
            "POST",
            "/admin/locations",
            json={"name": "Acme Downtown", "timezone": "America/New_York", "companyId": company_id},
        )
        company_code = sandbox.call(
            "POST",
            "/admin/installs",
            json={"appId": app["id"], "companyId": company_id, "redirectUri": REDIRECT_URI},
        )["code"]
        monkeypatch.setenv("CLIENT_ID", app["clientId"])
        public_key = sandbox.admin.get("/webhooks/public-key", params={"alg": "ed25519"})
        assert public_key.status_code == 200, public_key.text
        assert public_key.text.startswith("-----BEGIN PUBLIC KEY-----")
        monkeypatch.setenv("WEBHOOK_SIGNATURE_PUBLIC_KEY", public_key.text)
        yield Agency(sandbox, receiver, app, company_id, location["location"]["id"], company_code)


def in_loop(agency: Agency, story) -> None:
    """Runs `story(ghl)` after the installs, in one event loop (the SDK's client is bound to
    it), and closes the client."""

    async def main():
        ghl = await agency.installed()
        try:
            await story(ghl)
        finally:
            await ghl.http_client.aclose()

    asyncio.run(main())


def test_install_and_uninstall_webhooks_keep_the_sdk_session_storage(agency):
    async def story(ghl: HighLevel):
        # The company's own INSTALL: signed, and nothing to make (it names no location).
        company_install = agency.webhook("INSTALL", installType="Company")
        assert company_install.json()["companyName"] == "Acme Agency"
        request = await agency.middleware(company_install)
        assert request.state.is_signature_valid is True
        assert agency.location_token_requests() == []

        # The location's INSTALL: the middleware makes and stores the location's token.
        install = agency.webhook("INSTALL", locationId=agency.location_id)
        assert install.headers[SIGNATURE]
        assert install.json()["appId"] == agency.app["id"]
        assert install.json()["companyId"] == agency.company_id
        request = await agency.middleware(install)
        assert request.state.is_signature_valid is True
        assert request.state.signature_type == "ed25519"
        assert request.state.skipped_signature_verification is False
        # The SDK's own spelling of the form (`company_id`, `location_id`), read as the spec's.
        assert agency.location_token_requests() == [
            {"company_id": agency.company_id, "location_id": agency.location_id}
        ]
        (fetched,) = [each for each in agency.sent if each.url.path == "/oauth/location-token"]
        company_token = agency.company_answer["access_token"]
        assert fetched.headers["authorization"] == f"Bearer {company_token}"
        session = await agency.stored(agency.location_id)
        assert session is not None and session["locationId"] == agency.location_id
        location_token = session["access_token"]
        assert claims(location_token)["authClass"] == "Location"
        assert claims(location_token)["authClassId"] == agency.location_id

        calendars = agency.sandbox.admin.get(
            "/calendars/",
            params={"locationId": agency.location_id},
            headers=bearer(location_token),
        )
        assert calendars.status_code == 200, calendars.text
        assert calendars.json()["calendars"] == []

        # Uninstalled: the UNINSTALL webhook removes the session; the token stops at once.
        agency.sandbox.call("DELETE", f"/admin/installs/{agency.location_install_id}")
        uninstall = agency.wait_for("UNINSTALL", locationId=agency.location_id)
        request = await agency.middleware(uninstall)
        assert request.state.is_signature_valid is True
        assert await agency.stored(agency.location_id) is None
        assert await agency.stored(agency.company_id) is not None
        gone = agency.sandbox.admin.get(
            "/calendars/",
            params={"locationId": agency.location_id},
            headers=bearer(location_token),
        )
        assert gone.status_code == 401 and gone.json()["message"] == "Invalid JWT"

    in_loop(agency, story)


def test_a_tampered_install_webhook_is_refused_and_fetches_nothing(agency):
    async def story(ghl: HighLevel):
        install = agency.webhook("INSTALL", locationId=agency.location_id)
        # Still JSON for the same app and location: only the signed bytes differ.
        body = install.json()
        body["userId"] = "someone-else"
        tampered = Received(install.headers, json.dumps(body).encode())
        request = await agency.middleware(tampered)
        assert request.state.is_signature_valid is False
        assert request.state.signature_type == "ed25519"
        assert agency.sent == []
        assert await agency.stored(agency.location_id) is None

        # Another delivery's signature does not verify this body either.
        other = agency.webhook("INSTALL", installType="Company")
        forged = Received({**install.headers, SIGNATURE: other.headers[SIGNATURE]}, install.body)
        request = await agency.middleware(forged)
        assert request.state.is_signature_valid is False
        assert agency.sent == []
        assert await agency.stored(agency.location_id) is None

    in_loop(agency, story)
