"""The official SDK (`gohighlevel-api-client`) in OAuth mode, end to end against a real server
(issue 15, docs/marketplace.md): the SDK's authorization URL answered on the consent page (the
operator signs in with the admin key and allows), the code exchanged by the SDK, the token kept
in the SDK's session storage and used by its calendar calls, then the server clock moved past
the token's expiry: the SDK's own 401 handling refreshes it (camelCase fields) and retries, and
the refresh token it spent stops working."""

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from highlevel import HighLevel
from highlevel.error import GHLError
from highlevel.services.oauth.oauth import Oauth
from highlevel.storage import MemorySessionStorage

from support.api import ADMIN_HEADERS, ADMIN_KEY

SCOPES = [
    "calendars.readonly",
    "calendars.write",
    "calendars/events.readonly",
    "calendars/events.write",
]
# The server clock while the app is installed and its first token issued.
ISSUED = datetime.fromisoformat("2031-03-03T12:00:00+00:00")
STATE = "opaque-state-42"


@dataclass
class Exchange:
    """One request the SDK sent and the status and body it got."""

    method: str
    path: str
    status: int
    body: dict
    form: dict[str, str]
    authorization: str | None

    @classmethod
    def of(cls, response: httpx.Response) -> "Exchange":
        request = response.request
        form = {}
        if request.headers.get("content-type") == "application/x-www-form-urlencoded":
            form = {key: value for key, (value,) in parse_qs(request.content.decode()).items()}
        return cls(
            request.method,
            request.url.path,
            response.status_code,
            response.json() if response.content else {},
            form,
            request.headers.get("authorization"),
        )


class Forms(HTMLParser):
    """The forms of a page: each one's action, its hidden fields and its radio choices."""

    def __init__(self, page: str):
        super().__init__()
        self.forms: list[dict] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action"), "hidden": {}, "radios": []})
        elif tag == "input" and self.forms:
            if attributes.get("type") == "hidden":
                self.forms[-1]["hidden"][attributes["name"]] = attributes.get("value", "")
            elif attributes.get("type") == "radio":
                self.forms[-1]["radios"].append(attributes.get("value"))

    def form(self, action: str) -> dict:
        (found,) = [each for each in self.forms if each["action"] == action]
        return found


def admin(client: httpx.Client, method: str, path: str, **kwargs) -> dict:
    answer = client.request(method, path, headers=ADMIN_HEADERS, **kwargs)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def set_clock(client: httpx.Client, instant: datetime) -> None:
    admin(client, "PUT", "/admin/clock", json={"now": instant.isoformat()})


def claims(access_token: str) -> dict:
    part = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def consent(base_url: str, authorization_url: str, location_id: str) -> str:
    """What an operator does in a browser: open the app's authorization URL, sign in with the
    admin key, choose the location and Allow. The URL it redirects to (the app's)."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as browser:
        page = browser.get(authorization_url)
        assert page.status_code == 200, page.text
        sign_in = Forms(page.text).form("/oauth/signin")
        signed_in = browser.post(
            "/oauth/signin", data={**sign_in["hidden"], "admin_key": ADMIN_KEY}
        )
        assert signed_in.status_code == 303, signed_in.text
        back = signed_in.headers["location"]
        assert back == sign_in["hidden"]["next"]
        assert back.startswith("/v2/oauth/chooselocation?")

        page = browser.get(back)
        assert page.status_code == 200, page.text
        form = Forms(page.text).form("/v2/oauth/chooselocation")
        assert f"location:{location_id}" in form["radios"]
        assert form["hidden"]["csrf_token"]
        allowed = browser.post(
            form["action"],
            data={**form["hidden"], "target": f"location:{location_id}", "action": "allow"},
        )
    assert allowed.status_code == 303, allowed.text
    return allowed.headers["location"]


@pytest.fixture
def operator(server):
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client
        # The clock is the whole server's: never leave it frozen for the next test.
        client.delete("/admin/clock", headers=ADMIN_HEADERS)


@pytest.fixture
def sdk_at(server, monkeypatch):
    """The SDK pointed at the server: its API base URL and its marketplace (consent) URL."""
    monkeypatch.setattr(HighLevel, "BASE_URL", server.base_url)
    monkeypatch.setattr(Oauth, "MARKETPLACE_URL", server.base_url)
    return server.base_url


def test_oauth_mode_end_to_end_with_refresh_on_an_expired_token(operator, sdk_at):
    base_url = sdk_at
    redirect_uri = f"{base_url}/callback"
    set_clock(operator, ISSUED)
    location_id = admin(
        operator,
        "POST",
        "/admin/locations",
        json={"name": "OAuth clinic", "timezone": "America/New_York", "requireContacts": False},
    )["location"]["id"]
    app = admin(
        operator,
        "POST",
        "/admin/apps",
        json={
            "name": "Scheduler app",
            "redirectUris": [redirect_uri],
            "scopes": SCOPES,
            "distribution": "location",
        },
    )["app"]
    client_id, client_secret = app["clientId"], app["clientSecret"]

    async def story():
        ghl = HighLevel(
            client_id=client_id,
            client_secret=client_secret,
            session_storage=MemorySessionStorage(),
        )
        seen: list[Exchange] = []

        async def remember(response: httpx.Response) -> None:
            await response.aread()
            seen.append(Exchange.of(response))

        ghl.http_client.event_hooks["response"].insert(0, remember)
        try:
            # 1. The authorization URL the SDK builds, answered on the server's consent page.
            url = ghl.oauth.get_authorization_url(client_id, redirect_uri, " ".join(SCOPES))
            assert url.startswith(f"{base_url}/v2/oauth/chooselocation?")
            redirect = await asyncio.to_thread(
                consent, base_url, f"{url}&state={STATE}", location_id
            )
            parts = urlsplit(redirect)
            assert urljoin(redirect, parts.path) == redirect_uri
            query = parse_qs(parts.query)
            assert query["state"] == [STATE]
            (code,) = query["code"]

            # 2. The code exchanged by the SDK, the answer kept in its session storage.
            answer = await ghl.oauth.get_access_token(
                {
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "grant_type": "authorization_code",
                    "code": code,
                    "user_type": "Location",
                    "redirect_uri": redirect_uri,
                }
            )
            assert answer["userType"] == "Location" and answer["locationId"] == location_id
            assert answer["expires_in"] == 86399 and answer["scope"].split() == SCOPES
            first = claims(answer["access_token"])
            assert first["iat"] == int(ISSUED.timestamp())
            assert first["exp"] == first["iat"] + 86399
            await ghl.session_storage.set_session(location_id, answer)
            stored = await ghl.session_storage.get_session(location_id)
            assert stored["access_token"] == answer["access_token"]

            # 3. Calendar calls: the SDK finds the token by the locationId they name.
            calendar = await ghl.calendars.create_calendar(
                {
                    "locationId": location_id,
                    "name": "Consultations",
                    "calendarType": "round_robin",
                    "teamMembers": [{"userId": "ann"}],
                    "slotDuration": 30,
                }
            )
            calendar_id = calendar["calendar"]["id"]
            booked = await ghl.calendars.create_appointment(
                {
                    "calendarId": calendar_id,
                    "locationId": location_id,
                    "contactId": "contact-1",
                    "startTime": "2031-03-10T10:00:00-04:00",
                    "title": "First call",
                    "ignoreFreeSlotValidation": True,
                }
            )
            assert booked["calendarId"] == calendar_id
            listed = await ghl.calendars.get_calendars(location_id=location_id)
            assert [each["id"] for each in listed["calendars"]] == [calendar_id]
            assert [(each.method, each.path, each.status) for each in seen[-3:]] == [
                ("POST", "/calendars/", 200),
                ("POST", "/calendars/events/appointments", 200),
                ("GET", "/calendars/", 200),
            ]
            assert {each.authorization for each in seen[-3:]} == {
                f"Bearer {answer['access_token']}"
            }
            seen.clear()

            # 4. The server clock past the token's expiry: 401 "Invalid JWT", and the SDK
            #    refreshes on its own (camelCase form fields) and retries.
            set_clock(operator, ISSUED + timedelta(days=1, minutes=1))
            listed = await ghl.calendars.get_calendars(location_id=location_id)
            assert [each["id"] for each in listed["calendars"]] == [calendar_id]
            assert [(each.method, each.path, each.status) for each in seen] == [
                ("GET", "/calendars/", 401),
                ("POST", "/oauth/token", 200),
                ("GET", "/calendars/", 200),
            ]
            assert seen[0].body["message"] == "Invalid JWT"
            assert seen[1].form == {
                "refreshToken": answer["refresh_token"],
                "clientId": client_id,
                "clientSecret": client_secret,
                "grantType": "refresh_token",
                "userType": "Location",
            }
            renewed = await ghl.session_storage.get_session(location_id)
            assert renewed["access_token"] != answer["access_token"]
            assert renewed["refresh_token"] != answer["refresh_token"]
            assert seen[2].authorization == f"Bearer {renewed['access_token']}"
            assert claims(renewed["access_token"])["iat"] == int(
                (ISSUED + timedelta(days=1, minutes=1)).timestamp()
            )
            # The next call carries the renewed token from the storage: no 401, no refresh.
            seen.clear()
            await ghl.calendars.get_calendars(location_id=location_id)
            assert [(each.path, each.status, each.authorization) for each in seen] == [
                ("/calendars/", 200, f"Bearer {renewed['access_token']}")
            ]

            # 5. The refresh token the SDK spent does not work again.
            with pytest.raises(GHLError) as refused:
                await ghl.oauth.refresh_token(
                    answer["refresh_token"], client_id, client_secret, "refresh_token", "Location"
                )
            assert refused.value.status_code == 400
            assert refused.value.response["error"] == "invalid_grant"
            assert refused.value.response["error_description"]
        finally:
            await ghl.http_client.aclose()

    asyncio.run(story())
