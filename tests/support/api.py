"""A thin client for one location: its token and the Version header on every call."""

from dataclasses import dataclass
from typing import Any

import httpx

ADMIN_KEY = "test-admin-key"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}


@dataclass
class Tenant:
    client: Any  # fastapi.testclient.TestClient or httpx.Client
    location_id: str
    token: str
    token_id: str
    version: str = "v3"

    def headers(self, extra: dict | None = None) -> dict:
        return {"Authorization": f"Bearer {self.token}", "Version": self.version, **(extra or {})}

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)


def create_tenant(
    client: Any,
    timezone: str = "UTC",
    scopes: list[str] | None = None,
    name: str = "Test",
    require_contacts: bool = False,
) -> Tenant:
    """A new location with a token, made through the admin API as an operator would.

    Unless `require_contacts`, the location books for any contact id, as a location whose
    contacts live in another system does: the calendar tests book for made-up ids
    (tests/contacts/ test the requirement, on by default for a new location)."""
    created = client.post(
        "/admin/locations",
        json={"name": name, "timezone": timezone, "requireContacts": require_contacts},
        headers=ADMIN_HEADERS,
    )
    assert created.status_code == 201, created.text
    location_id = created.json()["location"]["id"]
    body: dict = {"locationId": location_id, "name": "tests"}
    if scopes is not None:
        body["scopes"] = scopes
    token = client.post("/admin/tokens", json=body, headers=ADMIN_HEADERS)
    assert token.status_code == 201, token.text
    return Tenant(client, location_id, token.json()["token"], token.json()["id"])
