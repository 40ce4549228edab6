"""Fixtures shared by the API tests (the suite-wide ones are in tests/conftest.py)."""

import pytest

from api.slot_helpers import ZONE
from support.api import create_tenant


@pytest.fixture
def ny(client):
    """A location in New York (`ZONE`)."""
    return create_tenant(client, timezone=ZONE)


@pytest.fixture
def before_march(frozen_clock):
    """The server clock frozen on a Friday before the test week: everything in March is in the
    future. It answers the clock, for a test that moves it on. Not autouse: a module that wants
    it says so with `pytestmark = pytest.mark.usefixtures("before_march")`."""
    frozen_clock("2026-02-27T12:00:00Z")
    return frozen_clock
