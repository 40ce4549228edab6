"""Helpers of the widget's tests: calendars to book, the forms, a roomy post limiter."""

import re
from urllib.parse import parse_qs, urlsplit

from api.slot_helpers import make_calendar
from opencalendars.widget.limits import PostLimiter

ZONE = "America/New_York"
# The server clock the tests run at: a Friday before the test week (everything in March ahead).
NOW = "2026-02-27T12:00:00Z"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# Far more posts than any test makes: the rate limit has a test of its own.
GENEROUS = 1_000_000


def roomy_limiter(app) -> None:
    """All of a test client's posts come from one address: the limit has a test of its own."""
    app.state.widget_limiter = PostLimiter(capacity=GENEROUS, period_s=1)


def public_calendar(tenant, **settings) -> str:
    """A personal calendar of `ann`, open 09:00-12:00 New York time on Mondays to Wednesdays,
    30-minute slots."""
    return make_calendar(
        tenant, days=("monday", "tuesday", "wednesday"), hours=(("09:00", "12:00"),), **settings
    )


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form"
    return found.group(1)


def form_page(client, calendar_id: str, slot: str, **params):
    response = client.get(f"/widget/booking/{calendar_id}", params={"slot": slot, **params})
    assert response.status_code == 200, response.text
    return response


PERSON = {
    "firstName": "Ann",
    "lastName": "Lee",
    "email": "ann.lee@example.com",
    "phone": "+1 212 555 0100",
    "notes": "First visit",
}


def book(client, calendar_id: str, slot: str, timezone: str = ZONE, **fields):
    """Post the booking form of `slot` as the page renders it (its CSRF token)."""
    page = form_page(client, calendar_id, slot, timezone=timezone)
    body = {
        "csrf_token": csrf_of(page.text),
        "slot": slot,
        "timezone": timezone,
        "lang": "en",
        **PERSON,
        **fields,
    }
    body = {key: value for key, value in body.items() if value is not None}
    return client.post(f"/widget/booking/{calendar_id}", data=body, follow_redirects=False)


def link_path(response) -> str:
    """The path (and query) a 303 sends the visitor to."""
    assert response.status_code == 303, response.text
    return response.headers["location"]


def token_of(path: str) -> str:
    return urlsplit(path).path.rsplit("/", 1)[1]


def query_of(path: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(path).query).items()}


def hrefs(html: str, prefix: str) -> list[str]:
    return [
        href.replace("&amp;", "&")
        for href in re.findall(r'href="([^"]+)"', html)
        if href.startswith(prefix)
    ]
