"""A real `opencalendars serve` process with its own fresh database, for the SDK harness."""

import httpx
import pytest

from support.api import create_tenant
from support.databases import fresh_database
from support.server import live_server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sdk")
    with fresh_database(directory) as url, live_server(url, directory) as running:
        yield running


@pytest.fixture
def sdk_tenant(server):
    with httpx.Client(base_url=server.base_url) as client:
        yield create_tenant(client, timezone="America/New_York")
