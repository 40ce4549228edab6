"""Read-modify-writes of one row take turns (docs/operations.md): through several real server
processes on one database, an edit racing a delete or a cancel never leaves busy time behind,
and of many deletes of one appointment exactly one succeeds and sends one webhook.

On PostgreSQL (READ COMMITTED) these failed before the rows were locked for the change: the
delete or cancel won, then the edit wrote its stale copy's people back as occupying."""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from concurrency.races import calendar_with
from support.api import ADMIN_HEADERS, create_tenant

ROUNDS = 12
MONDAY = "2030-01-07"
TEN, ELEVEN = "2030-01-07T10:00:00-05:00", "2030-01-07T11:00:00-05:00"
DAY = (1_893_992_400_000, 1_894_078_800_000)  # 2030-01-07 in New York, epoch ms


@pytest.fixture(scope="module")
def office(servers):
    """A personal calendar on a location of its own, with one client per server process."""
    clients = [httpx.Client(base_url=url, timeout=60) for url in servers]
    admin = clients[0]
    admin.put("/admin/clock", json={"now": "2030-01-01T00:00:00Z"}, headers=ADMIN_HEADERS)
    tenant = create_tenant(admin, timezone="America/New_York")
    tenant.client = admin
    for client in clients:
        client.headers.update(tenant.headers())
    calendar_id = calendar_with(tenant, "personal", ["solo"])
    yield tenant, calendar_id, clients
    admin.delete("/admin/clock", headers=ADMIN_HEADERS)
    for client in clients:
        client.close()


def book(tenant, calendar_id, start=TEN) -> str:
    response = tenant.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": tenant.location_id,
            "contactId": "contact-1",
            "startTime": start,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def at_once(*calls):
    """Run the calls together, each released by one barrier, and return their responses."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def offered(tenant, calendar_id) -> list[str]:
    answer = tenant.get(
        f"/calendars/{calendar_id}/free-slots", params={"startDate": DAY[0], "endDate": DAY[1] - 1}
    ).json()
    return [slot[11:16] for slot in answer.get(MONDAY, {}).get("slots", [])]


def listed(tenant, calendar_id) -> list[dict]:
    return tenant.get(
        "/calendars/events",
        params={
            "locationId": tenant.location_id,
            "calendarId": calendar_id,
            "startTime": DAY[0],
            "endTime": DAY[1],
        },
    ).json()["events"]


def assert_day_is_free(tenant, calendar_id):
    """No phantom busy time: every slot of the day is offered and the 10:00 slot books."""
    assert len(offered(tenant, calendar_id)) == 16  # 09:00-17:00, 30-minute slots
    assert tenant.delete(f"/calendars/events/{book(tenant, calendar_id)}").is_success


def test_an_edit_racing_a_delete_leaves_no_busy_time(office):
    tenant, calendar_id, clients = office
    rotation = itertools.cycle(clients)
    for _ in range(ROUNDS):
        event_id = book(tenant, calendar_id)
        mover, deleter = next(rotation), next(rotation)
        moved, deleted = at_once(
            lambda mover=mover, event_id=event_id: mover.put(
                f"/calendars/events/appointments/{event_id}", json={"startTime": ELEVEN}
            ),
            lambda deleter=deleter, event_id=event_id: deleter.delete(
                f"/calendars/events/{event_id}"
            ),
        )

        assert deleted.is_success, deleted.text
        assert moved.status_code in (200, 404), moved.text
        assert listed(tenant, calendar_id) == []
        assert_day_is_free(tenant, calendar_id)


def test_an_edit_racing_a_cancel_leaves_no_busy_time(office):
    tenant, calendar_id, clients = office
    rotation = itertools.cycle(clients)
    for _ in range(ROUNDS):
        event_id = book(tenant, calendar_id)
        path = f"/calendars/events/appointments/{event_id}"
        mover, canceller = next(rotation), next(rotation)
        moved, cancelled = at_once(
            lambda mover=mover, path=path: mover.put(path, json={"startTime": ELEVEN}),
            lambda canceller=canceller, path=path: canceller.put(
                path, json={"appointmentStatus": "cancelled"}
            ),
        )

        assert (moved.status_code, cancelled.status_code) == (200, 200), moved.text
        statuses = {
            event["id"]: event["appointmentStatus"] for event in listed(tenant, calendar_id)
        }
        assert statuses[event_id] == "cancelled"
        assert_day_is_free(tenant, calendar_id)


def test_of_many_deletes_of_one_appointment_one_succeeds_and_sends_one_webhook(office):
    tenant, calendar_id, clients = office
    subscribed = tenant.client.post(
        "/admin/webhooks",
        # Nothing listens there and no worker runs: messages stay in the outbox to be counted.
        json={"locationId": tenant.location_id, "url": "http://127.0.0.1:9/hook"},
        headers=ADMIN_HEADERS,
    )
    assert subscribed.status_code == 201, subscribed.text
    rotation = itertools.cycle(clients)
    deleted_ids = []
    for _ in range(ROUNDS // 2):
        event_id = book(tenant, calendar_id)
        deleters = [next(rotation) for _ in range(8)]
        answers = at_once(
            *(
                lambda client=client, event_id=event_id: client.delete(
                    f"/calendars/events/{event_id}"
                )
                for client in deleters
            )
        )

        assert sum(answer.is_success for answer in answers) == 1
        assert sum(answer.status_code == 404 for answer in answers) == 7
        deleted_ids.append(event_id)

    messages = tenant.client.get(
        "/admin/outbox",
        params={"locationId": tenant.location_id, "limit": 500},
        headers=ADMIN_HEADERS,
    ).json()["messages"]
    deletes = [m["appointmentId"] for m in messages if m["topic"] == "AppointmentDelete"]
    assert sorted(deletes) == sorted(deleted_ids)
    tenant.client.delete(
        f"/admin/webhooks/{subscribed.json()['webhook']['id']}", headers=ADMIN_HEADERS
    )
