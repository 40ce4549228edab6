"""Fixtures of the widget's tests (the suite-wide ones are in tests/conftest.py)."""

import pytest

from support.api import create_tenant
from widget.helpers import NOW, ZONE, roomy_limiter


@pytest.fixture(scope="session", autouse=True)
def widget_app(app):
    roomy_limiter(app)
    return app


@pytest.fixture(autouse=True)
def before_march(frozen_clock):
    frozen_clock(NOW)
    return frozen_clock


@pytest.fixture
def ny(client):
    """A New York location that requires contacts (as new locations do)."""
    return create_tenant(client, timezone=ZONE, require_contacts=True)
