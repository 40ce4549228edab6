"""No two live contacts of a location share an email or a phone, however many requests race to
make them: creates, upserts and updates at the same moment through 4 real server processes on
one database (the contact locks of `contacts/service.py`)."""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from opencalendars.http.auth import ALL_SCOPES
from support.api import create_tenant

RACERS = 8
ROUNDS = 4
DUPLICATED = "This location does not allow duplicated contacts."


def at_once(servers, tenant, requests: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    """Send every `(method, path, body)` at the same moment, spread over all the servers."""
    clients = [httpx.Client(base_url=url, headers=tenant.headers(), timeout=60) for url in servers]
    rotation = itertools.cycle(clients)
    jobs = [(next(rotation), *request) for request in requests]
    start = threading.Barrier(len(jobs))

    def send(job) -> httpx.Response:
        client, method, path, body = job
        start.wait()
        return client.request(method, path, json=body)

    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            return list(pool.map(send, jobs))
    finally:
        for client in clients:
            client.close()


def live_contacts(tenant) -> list[dict]:
    response = tenant.post(
        "/contacts/search", json={"locationId": tenant.location_id, "pageLimit": 100}
    )
    assert response.status_code == 200, response.text
    return response.json()["contacts"]


@pytest.fixture
def new_tenant(servers):
    with httpx.Client(base_url=servers[0]) as admin:
        yield lambda: create_tenant(admin, scopes=list(ALL_SCOPES))


def assert_one_winner(responses: list[httpx.Response], field: str) -> dict:
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [400] * (RACERS - 1), [response.text for response in responses]
    (winner,) = [r.json()["contact"] for r in responses if r.status_code == 201]
    for response in responses:
        if response.status_code == 400:
            assert response.json()["message"] == DUPLICATED
            assert response.json()["meta"]["contactId"] == winner["id"]
            assert response.json()["meta"]["matchingField"] == field
    return winner


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_creates_with_one_email_make_one_contact(servers, new_tenant, round_):
    tenant = new_tenant()
    spellings = ["ann@example.com", "ANN@example.com", "Ann@Example.com", "ann@EXAMPLE.com"]
    requests = [
        ("POST", "/contacts/", {"locationId": tenant.location_id, "email": spellings[n % 4]})
        for n in range(RACERS)
    ]

    winner = assert_one_winner(at_once(servers, tenant, requests), "email")

    assert [contact["id"] for contact in live_contacts(tenant)] == [winner["id"]]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_creates_with_one_phone_make_one_contact(servers, new_tenant, round_):
    tenant = new_tenant()
    spellings = ["+1 212 555 1234", "(212) 555-1234", "212.555.1234", "+12125551234"]
    requests = [
        (
            "POST",
            "/contacts/",
            {"locationId": tenant.location_id, "phone": spellings[n % 4], "email": f"p{n}@x.io"},
        )
        for n in range(RACERS)
    ]

    winner = assert_one_winner(at_once(servers, tenant, requests), "phone")

    assert [contact["id"] for contact in live_contacts(tenant)] == [winner["id"]]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_upserts_of_one_email_make_one_contact(servers, new_tenant, round_):
    tenant = new_tenant()
    requests = [
        (
            "POST",
            "/contacts/upsert",
            {"locationId": tenant.location_id, "email": "bob@example.com", "tags": [f"t{n}"]},
        )
        for n in range(RACERS)
    ]

    responses = at_once(servers, tenant, requests)

    assert [response.status_code for response in responses] == [200] * RACERS
    assert sorted(response.json()["new"] for response in responses) == [False] * (RACERS - 1) + [
        True
    ]
    assert len({response.json()["contact"]["id"] for response in responses}) == 1
    assert len(live_contacts(tenant)) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_updates_to_one_email_leave_one_contact_with_it(servers, new_tenant, round_):
    tenant = new_tenant()
    ids = []
    for n in range(RACERS):
        response = tenant.post(
            "/contacts/", json={"locationId": tenant.location_id, "email": f"c{n}@example.com"}
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["contact"]["id"])
    requests = [
        ("PUT", f"/contacts/{contact_id}", {"email": "same@example.com"}) for contact_id in ids
    ]

    responses = at_once(servers, tenant, requests)

    assert sorted(response.status_code for response in responses) == [200] + [400] * (RACERS - 1)
    holders = [c for c in live_contacts(tenant) if c.get("emailLowerCase") == "same@example.com"]
    assert len(holders) == 1
