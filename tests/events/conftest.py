"""A real server on its own database; each test adds its own location, receivers and workers."""

import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support.api import ADMIN_HEADERS, Tenant, create_tenant
from support.databases import fresh_database
from support.server import live_server

NOW = "2030-01-01T00:00:00Z"


@dataclass
class Sandbox:
    database_url: str
    base_url: str
    directory: Path
    admin: httpx.Client

    def tenant(self) -> Tenant:
        tenant = create_tenant(self.admin, timezone="America/New_York")
        tenant.client = self.admin
        return tenant

    def set_clock(self, now: str) -> None:
        response = self.admin.put("/admin/clock", json={"now": now}, headers=ADMIN_HEADERS)
        assert response.status_code == 200, response.text

    def subscribe(self, tenant: Tenant, url: str, **fields) -> dict:
        body = {"locationId": tenant.location_id, "url": url, **fields}
        response = self.admin.post("/admin/webhooks", json=body, headers=ADMIN_HEADERS)
        assert response.status_code == 201, response.text
        return response.json()["webhook"]

    def settled(self, tenant: Tenant, timeout: float = 30) -> list[dict]:
        """The outbox once nothing in it is pending any more."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.outbox(tenant)
            if all(message["status"] != "pending" for message in messages):
                return messages
            time.sleep(0.05)
        raise AssertionError(f"still pending: {messages}")

    def outbox(self, tenant: Tenant, **params) -> list[dict]:
        response = self.admin.get(
            "/admin/outbox",
            params={"locationId": tenant.location_id, **params},
            headers=ADMIN_HEADERS,
        )
        assert response.status_code == 200, response.text
        return response.json()["messages"]


@pytest.fixture(scope="package")
def sandbox(tmp_path_factory):
    directory = tmp_path_factory.mktemp("events")
    with (
        fresh_database(directory) as url,
        live_server(url, directory) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as admin,
    ):
        yield Sandbox(url, server.base_url, directory, admin)


@pytest.fixture
def clock(sandbox):
    sandbox.set_clock(NOW)
    yield sandbox.set_clock
    sandbox.admin.delete("/admin/clock", headers=ADMIN_HEADERS)
