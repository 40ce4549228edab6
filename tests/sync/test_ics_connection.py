"""Conflict calendars from an ICS URL (served by a local HTTP server thread): busy time for free
slots, appointments and service bookings; ETag polling; failures keep the last good copy."""

import time

import pytest

from api.slot_helpers import free, make_calendar, times
from opencalendars.sync import scheduler, sources
from opencalendars.sync.expand import SyncFailed
from support.api import ADMIN_HEADERS
from sync.helpers import (
    CONNECTIONS,
    book,
    book_service,
    connect,
    service_for,
    sync,
    vcalendar,
    vevent,
)

pytestmark = pytest.mark.usefixtures("now")

MONDAY = "2027-03-08"
MORNING = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"]


@pytest.fixture
def feed_of_ann(ny, ics_server):
    ny.calendar_id = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    ny.url, ny.served = ics_server.serve(
        f"/{ny.location_id}/ann.ics",
        vcalendar(vevent("meeting", "20270308T100000", "20270308T110000", summary="Board")),
    )
    ny.connection = connect(ny, "ann", "ics", ny.url)
    return ny


def test_an_ics_url_blocks_slots_and_is_polled_with_its_etag(feed_of_ann):
    ny = feed_of_ann
    assert ny.connection["lastSyncedAt"] is None
    assert ny.connection["busyCount"] == 0

    first = sync(ny, ny.connection["id"])

    assert first["lastError"] is None and first["busyCount"] == 1
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["09:00", "09:30", "11:00", "11:30"]
    assert book(ny, ny.calendar_id, "2027-03-08T10:00:00-05:00").status_code == 400

    second = sync(ny, ny.connection["id"])

    assert ny.served.requests[-1]["If-None-Match"] == '"v1"'  # answered 304
    assert second["lastError"] is None and second["busyCount"] == 1
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["09:00", "09:30", "11:00", "11:30"]

    ny.served.body = vcalendar(vevent("meeting", "20270308T090000", "20270308T093000"))
    ny.served.etag = '"v2"'
    sync(ny, ny.connection["id"])

    assert times(free(ny, ny.calendar_id, MONDAY)) == MORNING[1:]


def test_a_failing_url_keeps_the_last_good_copy(feed_of_ann):
    ny = feed_of_ann
    good = sync(ny, ny.connection["id"])
    ny.served.status = 500

    failed = sync(ny, ny.connection["id"])

    assert failed["lastError"] == "the calendar URL answered HTTP 500"
    assert failed["lastSyncedAt"] == good["lastSyncedAt"]
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["09:00", "09:30", "11:00", "11:30"]

    ny.served.status = 200
    ny.served.body = "this is not iCalendar"
    ny.served.etag = '"broken"'
    broken = sync(ny, ny.connection["id"])

    assert broken["lastError"].startswith("the calendar is not valid iCalendar")
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["09:00", "09:30", "11:00", "11:30"]


def test_deleting_the_connection_frees_its_time(feed_of_ann):
    ny = feed_of_ann
    sync(ny, ny.connection["id"])

    deleted = ny.client.delete(f"{CONNECTIONS}/{ny.connection['id']}", headers=ADMIN_HEADERS)

    assert deleted.status_code == 200
    assert times(free(ny, ny.calendar_id, MONDAY)) == MORNING
    gone = ny.client.get(f"{CONNECTIONS}/{ny.connection['id']}", headers=ADMIN_HEADERS)
    assert gone.status_code == 404
    again = ny.client.post(f"{CONNECTIONS}/{ny.connection['id']}/sync", headers=ADMIN_HEADERS)
    assert again.status_code == 404


def test_service_bookings_count_synced_busy_time(ny, ics_server):
    service_id = service_for(ny, "ann")
    url, _ = ics_server.serve(
        f"/{ny.location_id}/ann-services.ics",
        vcalendar(vevent("vet", "20270308T090000", "20270308T100000")),
    )
    sync(ny, connect(ny, "ann", "ics", url)["id"])

    refused = book_service(ny, service_id, "2027-03-08T09:30:00-05:00", "2027-03-08T10:00:00-05:00")

    assert refused.status_code == 400, refused.text
    assert refused.json()["message"] == [
        "services.0: staff member ann is not available"
        " from 2027-03-08T09:30:00-05:00 to 2027-03-08T10:00:00-05:00"
    ]
    accepted = book_service(
        ny, service_id, "2027-03-08T10:00:00-05:00", "2027-03-08T10:30:00-05:00"
    )
    assert accepted.status_code == 201, accepted.text


def test_the_worker_step_syncs_due_connections_in_the_background(feed_of_ann, app):
    ny = feed_of_ann

    assert scheduler.sync_step(app.state.db, now_s=time.monotonic() + 10**6)
    running = scheduler._running[id(app.state.db)]
    running.join(60)

    synced = ny.client.get(f"{CONNECTIONS}/{ny.connection['id']}", headers=ADMIN_HEADERS)
    assert synced.json()["connection"]["busyCount"] == 1
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["09:00", "09:30", "11:00", "11:30"]
    # Not again at once: the next look for due connections waits CHECK_S.
    assert not scheduler.sync_step(app.state.db, now_s=time.monotonic() + 10**6)


def test_an_ics_file_over_the_size_bound_is_refused(ics_server):
    url, _ = ics_server.serve(
        "/big.ics", vcalendar(*[vevent(f"e{i}", "20270308") for i in range(50)])
    )

    with pytest.raises(SyncFailed, match="larger than"):
        sources.fetch_ics(url, None, None, etag=None, max_bytes=1024)


def test_refusals(ny, monkeypatch):
    monkeypatch.delenv("OPENCALENDARS_SECRET_KEY", raising=False)
    post = ny.client.post
    body = {"locationId": ny.location_id, "userId": "ann", "kind": "caldav"}

    no_key = post(
        CONNECTIONS,
        json={**body, "url": "https://dav.example.com/", "username": "a", "password": "b"},
        headers=ADMIN_HEADERS,
    )
    assert no_key.status_code == 400
    assert no_key.json()["message"].startswith("OPENCALENDARS_SECRET_KEY is not set")

    bad_url = post(CONNECTIONS, json={**body, "url": "ftp://x/"}, headers=ADMIN_HEADERS)
    assert bad_url.json()["message"] == [
        "url must be an absolute http:// or https:// URL for kind caldav"
    ]
    ics_write_back = post(
        CONNECTIONS,
        json={**body, "kind": "ics", "url": "https://x/", "writeBackCalendarUrl": "https://x/c/"},
        headers=ADMIN_HEADERS,
    )
    assert ics_write_back.json()["message"] == [
        "writeBackCalendarUrl can only be given for kind caldav"
    ]
    elsewhere = post(
        CONNECTIONS,
        json={**body, "url": "https://x/", "writeBackCalendarUrl": "https://y/cal/"},
        headers=ADMIN_HEADERS,
    )
    assert elsewhere.json()["message"] == [
        "writeBackCalendarUrl must be on the server of url (same scheme, host and port):"
        " it is a calendar of the same account"
    ]
    unreachable = post(
        CONNECTIONS,
        json={
            **body,
            "url": "http://127.0.0.1:9/",
            "writeBackCalendarUrl": "http://127.0.0.1:9/c/",
        },
        headers=ADMIN_HEADERS,
    )
    assert unreachable.status_code == 400
    assert unreachable.json()["message"][0].startswith(
        "writeBackCalendarUrl: the CalDAV server cannot be read"
    )
    unknown = post(
        CONNECTIONS,
        json={**body, "locationId": "nowhere", "url": "https://x/"},
        headers=ADMIN_HEADERS,
    )
    assert unknown.status_code == 404
    assert post(CONNECTIONS, json={**body, "url": "https://x/"}).status_code == 401
