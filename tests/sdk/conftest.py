"""A tenant of the live server (the `server` fixture of tests/conftest.py) for the SDK harness."""

import httpx
import pytest

from support.api import create_tenant


@pytest.fixture
def sdk_tenant(server):
    with httpx.Client(base_url=server.base_url) as client:
        yield create_tenant(client, timezone="America/New_York")
