"""The operator's key (`OPENCALENDARS_ADMIN_KEY`): what the admin routes, and `/metrics` when
`OPENCALENDARS_METRICS=admin`, require."""

import hmac

from fastapi import Request

from opencalendars.errors import Unauthorized


def require_admin(request: Request) -> None:
    """The admin key. Without a configured key the admin routes are never added (app.py):
    their paths answer 404 like any unknown path."""
    admin_key = request.app.state.settings.admin_key
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        key.strip().encode(), admin_key.encode()
    ):
        raise Unauthorized("A valid admin key is required")
