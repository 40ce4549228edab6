"""Rate limits of marketplace apps (PRODUCT §12, HighLevel's rule): 100 requests / 10 s and
200,000 / day for each app on each location, whichever of the app's tokens makes them."""

from api.test_rate_limits import clock, limited  # noqa: F401  (fixtures)
from marketplace.test_oauth import bearer, exchange, install, make_app, make_location
from opencalendars.http.rate_limits import RateLimits

BURST = RateLimits(burst=2, interval_ms=10_000, daily=100)


def calendars(client, location_id: str, access_token: str) -> int:
    answer = client.get(
        "/calendars/", params={"locationId": location_id}, headers=bearer(access_token)
    )
    return answer.status_code


def test_an_app_counts_per_location_whichever_token_it_uses(limited, clock):  # noqa: F811
    client = limited(BURST)
    first, second = make_location(client), make_location(client)
    app = make_app(client)
    _found, code = install(client, app, locationId=first)
    token_one = exchange(client, app, code)
    # A second access token of the same install: the refresh grant's.
    token_two = client.post(
        "/oauth/token",
        data={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": token_one["refresh_token"],
        },
    ).json()
    _found, code = install(client, app, locationId=second)
    elsewhere = exchange(client, app, code)
    other_app = make_app(client)
    _found, code = install(client, other_app, locationId=first)
    other = exchange(client, other_app, code)

    assert [calendars(client, first, token_one["access_token"]) for _ in range(2)] == [200, 200]
    assert calendars(client, first, token_two["access_token"]) == 429
    # The same app on another location, and another app on this one, count for themselves.
    assert calendars(client, second, elsewhere["access_token"]) == 200
    assert calendars(client, first, other["access_token"]) == 200
