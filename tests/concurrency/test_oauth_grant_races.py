"""A code or a refresh token makes tokens once, however many requests race with it: the same
grant sent at the same moment through 4 real server processes on one database (the
conditional UPDATE that spends it, marketplace/service.py)."""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from marketplace.test_oauth import REDIRECT, install, make_app, make_location

RACERS = 8
ROUNDS = 3


def at_once(servers, form: dict) -> list[httpx.Response]:
    clients = [httpx.Client(base_url=url, timeout=60) for url in servers]
    rotation = itertools.cycle(clients)
    jobs = [next(rotation) for _ in range(RACERS)]
    start = threading.Barrier(RACERS)

    def send(client: httpx.Client) -> httpx.Response:
        start.wait()
        return client.post("/oauth/token", data=form)

    try:
        with ThreadPoolExecutor(max_workers=RACERS) as pool:
            return list(pool.map(send, jobs))
    finally:
        for client in clients:
            client.close()


def one_winner(responses: list[httpx.Response]) -> dict:
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [400] * (RACERS - 1), [r.text for r in responses]
    for response in responses:
        if response.status_code == 400:
            assert response.json()["error"] == "invalid_grant"
    (winner,) = [response.json() for response in responses if response.status_code == 200]
    return winner


@pytest.fixture
def admin(servers):
    with httpx.Client(base_url=servers[0], timeout=60) as client:
        yield client


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_code_raced_makes_tokens_once(servers, admin, round_):
    app = make_app(admin)
    _found, code = install(admin, app, locationId=make_location(admin))
    form = {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
    }
    one_winner(at_once(servers, form))


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_refresh_token_raced_rotates_once(servers, admin, round_):
    app = make_app(admin)
    _found, code = install(admin, app, locationId=make_location(admin))
    credentials = {"client_id": app.client_id, "client_secret": app.client_secret}
    first = admin.post(
        "/oauth/token", data={**credentials, "grant_type": "authorization_code", "code": code}
    ).json()
    winner = one_winner(
        at_once(
            servers,
            {**credentials, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
    )
    # The one new refresh token works; the raced one is spent.
    again = admin.post(
        "/oauth/token",
        data={
            **credentials,
            "grant_type": "refresh_token",
            "refresh_token": winner["refresh_token"],
        },
    )
    assert again.status_code == 200, again.text
