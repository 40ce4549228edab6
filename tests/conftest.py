"""Fixtures for the whole suite.

One database per test run (SQLite file, or a fresh PostgreSQL database when
`OPENCALENDARS_TEST_DATABASE_URL` is set). Every location is a tenant of its own,
so each test gets a new location and token and needs no cleanup.
"""

import pytest
from fastapi.testclient import TestClient

from opencalendars.app import create_app
from opencalendars.settings import Settings
from support.api import ADMIN_HEADERS, ADMIN_KEY, Tenant, create_tenant
from support.databases import fresh_database
from support.server import live_server
from support.trace_ids import check_every_answer

check_every_answer()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url):
    # Rate limits off: the suite's own requests must never be throttled (tests/api/
    # test_rate_limits.py builds apps of its own with limits on).
    application = create_app(
        Settings(database_url=database_url, admin_key=ADMIN_KEY, rate_limits=None)
    )
    yield application
    application.state.db.dispose()


@pytest.fixture(scope="session")
def client(app) -> TestClient:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def tenant(client) -> Tenant:
    return create_tenant(client)


@pytest.fixture
def other_tenant(client) -> Tenant:
    return create_tenant(client, name="Other")


@pytest.fixture
def frozen_clock(client):
    """Freeze the server clock (shared by every process) at an instant; released afterwards."""

    def freeze(now):
        response = client.put("/admin/clock", json={"now": now}, headers=ADMIN_HEADERS)
        assert response.status_code == 200, response.text
        return response.json()

    yield freeze
    client.delete("/admin/clock", headers=ADMIN_HEADERS)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A real `opencalendars serve` process with its own fresh database."""
    directory = tmp_path_factory.mktemp("live")
    with fresh_database(directory) as url, live_server(url, directory) as running:
        yield running
