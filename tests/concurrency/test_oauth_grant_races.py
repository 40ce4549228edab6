"""A code or a refresh token makes tokens once, however many requests race with it: the same
grant sent at the same moment through 4 real server processes on one database (the
conditional UPDATE that spends it, marketplace/service.py)."""

import threading
import time

import httpx
import pytest

from concurrency.races import sent_at_once
from marketplace.test_oauth import REDIRECT, install, make_app, make_location
from support.api import ADMIN_HEADERS

RACERS = 8
ROUNDS = 3


def at_once(servers, form: dict) -> list[httpx.Response]:
    return sent_at_once(servers, lambda client: client.post("/oauth/token", data=form), RACERS)


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


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_consents_raced_install_once(servers, admin, round_):
    app = make_app(admin, webhook="https://app.example/raced")
    location_id = make_location(admin)
    body = {"appId": app.id, "locationId": location_id, "redirectUri": REDIRECT}
    answers = sent_at_once(
        servers,
        lambda client: client.post("/admin/installs", json=body, headers=ADMIN_HEADERS),
        RACERS,
    )

    assert [answer.status_code for answer in answers] == [201] * RACERS, answers[0].text
    assert len({answer.json()["install"]["id"] for answer in answers}) == 1
    listed = admin.get("/admin/installs", params={"appId": app.id}, headers=ADMIN_HEADERS)
    assert len(listed.json()["installs"]) == 1
    outbox = admin.get(
        "/admin/outbox", params={"locationId": location_id}, headers=ADMIN_HEADERS
    ).json()["messages"]
    assert [message["topic"] for message in outbox] == ["INSTALL"]


def test_companies_raced_with_one_id_are_one_201_and_409s(servers, admin):
    company_id = f"raced-{threading.get_ident()}-{time.monotonic_ns()}"
    body = {"name": "Raced", "id": company_id}
    answers = sent_at_once(
        servers,
        lambda client: client.post("/admin/companies", json=body, headers=ADMIN_HEADERS),
        RACERS,
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (RACERS - 1), [answer.text for answer in answers]
