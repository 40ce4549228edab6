"""Write-back (PRODUCT §16, docs/calendar-sync.md): appointments booked through the API are
written to the user's calendar on a real Radicale by the real delivery worker, through the
outbox: they move, cancel and disappear there; a Radicale outage never holds up a booking and
the worker catches up; a lost answer does not duplicate; reordered deliveries converge."""

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from sqlalchemy import update

from api.slot_helpers import free, make_calendar, times
from opencalendars.events.models import OutboxMessage
from opencalendars.events.worker import Worker, WorkerSettings
from support.api import ADMIN_HEADERS
from sync.helpers import CONNECTIONS, book, connect, sync

pytestmark = pytest.mark.usefixtures("now")

NY = ZoneInfo("America/New_York")
MONDAY = "2027-03-08"
APPOINTMENTS = "/calendars/events/appointments"


def local(day_time: str) -> datetime:
    return datetime.fromisoformat(day_time).replace(tzinfo=NY)


@pytest.fixture
def worker(app):
    """The real delivery worker, with quick retries, on the suite's database."""
    settings = WorkerSettings(
        timeout_s=3, retry_base_s=0.05, retry_cap_s=0.2, max_attempts=100, lease_s=30
    )
    running = Worker(app.state.db, settings)
    yield running
    running.close()


def outbox(tenant, **params) -> list[dict]:
    response = tenant.client.get(
        "/admin/outbox",
        params={"locationId": tenant.location_id, "limit": 100, **params},
        headers=ADMIN_HEADERS,
    )
    assert response.status_code == 200, response.text
    return [message for message in response.json()["messages"] if message["kind"] == "caldav"]


def drain(worker, tenant, seconds: float = 30) -> list[dict]:
    """Run the worker until none of the tenant's write-backs is pending; its messages."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker.run_once()
        messages = outbox(tenant)
        if all(message["status"] != "pending" for message in messages):
            return messages
        time.sleep(0.05)
    raise AssertionError(f"still pending: {outbox(tenant, status='pending')}")


def events_there(remote) -> dict[str, icalendar.Event]:
    """The calendar's events by UID, read back with the caldav client."""
    found = {}
    for item in remote.events():
        for component in icalendar.Calendar.from_ical(item.data).walk("VEVENT"):
            assert component["UID"] not in found, "one resource per UID"
            found[str(component["UID"])] = component
    return found


def connection(tenant, connection_id) -> dict:
    response = tenant.client.get(f"{CONNECTIONS}/{connection_id}", headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    return response.json()["connection"]


def booked(tenant, calendar_id, start, **fields) -> dict:
    response = book(tenant, calendar_id, start, **fields)
    assert response.status_code == 200, response.text
    return response.json()


def edit(tenant, appointment_id, **fields) -> dict:
    response = tenant.put(f"{APPOINTMENTS}/{appointment_id}", json=fields)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def ann(ny, radicale, secret_key):
    """Ann works Mondays 09:00-12:00; her Radicale calendar is both her conflict calendar and
    the one her appointments are written back to."""
    ny.calendar_id = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    ny.remote = radicale.new_calendar(f"wb-{ny.location_id}")
    url = str(ny.remote.url)
    ny.connection = connect(
        ny,
        "ann",
        "caldav",
        url,
        username="ann",
        password="ann-secret",
        writeBackCalendarUrl=url,
    )
    return ny


def test_booked_moved_cancelled_and_deleted_there(ann, worker):
    ny = ann
    assert ny.connection["writeBackCalendarUrl"] == str(ny.remote.url)
    assert ny.connection["lastWriteBackAt"] is None
    created = booked(ny, ny.calendar_id, "2027-03-08T10:00:00-05:00", title="Intro")
    uid = f"{created['id']}@opencalendars"
    assert [m["topic"] for m in outbox(ny)] == ["AppointmentCreate"]

    drain(worker, ny)
    event = events_there(ny.remote)[uid]
    assert event.decoded("DTSTART") == local("2027-03-08T10:00")
    assert event.decoded("DTEND") == local("2027-03-08T10:30")
    assert str(event["SUMMARY"]) == "Intro"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    written = connection(ny, ny.connection["id"])
    assert written["lastWriteBackAt"] is not None and written["lastWriteBackError"] is None

    # Moved: there too, SEQUENCE one more.
    edit(ny, created["id"], startTime="2027-03-08T11:00:00-05:00")
    drain(worker, ny)
    event = events_there(ny.remote)[uid]
    assert event.decoded("DTSTART") == local("2027-03-08T11:00")
    assert event.decoded("DTEND") == local("2027-03-08T11:30")
    assert event["SEQUENCE"] == 1

    # Its copy there is not busy time again (the appointment is): it can grow over its copy.
    assert sync(ny, ny.connection["id"])["busyCount"] == 0
    edit(ny, created["id"], endTime="2027-03-08T12:00:00-05:00")
    assert times(free(ny, ny.calendar_id, MONDAY)) == ["09:00", "09:30", "10:00", "10:30"]

    # Cancelled: written as cancelled; un-cancelled: confirmed again.
    edit(ny, created["id"], appointmentStatus="cancelled")
    drain(worker, ny)
    assert str(events_there(ny.remote)[uid]["STATUS"]) == "CANCELLED"
    edit(ny, created["id"], appointmentStatus="confirmed")
    drain(worker, ny)
    event = events_there(ny.remote)[uid]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTEND") == local("2027-03-08T12:00")

    # Deleted: gone from there.
    assert ny.delete(f"/calendars/events/{created['id']}").status_code == 200
    messages = drain(worker, ny)
    assert uid not in events_there(ny.remote)
    assert {m["status"] for m in messages} == {"delivered"}


def test_no_write_back_connection_queues_nothing(ny, radicale, secret_key):
    ny.calendar_id = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    remote = radicale.new_calendar(f"ro-{ny.location_id}")
    read_only = connect(ny, "ann", "caldav", str(remote.url), username="ann", password="ann-secret")
    assert read_only["writeBackCalendarUrl"] is None

    booked(ny, ny.calendar_id, "2027-03-08T10:00:00-05:00")

    assert outbox(ny) == []


def test_a_team_booking_is_written_back_for_the_member_it_books_only(ny, radicale, secret_key):
    # A booking reads its team's write-back connections before it knows whom it books (with
    # its checks, db/batch.py): each member has one here, and only the booked one's is queued.
    ny.calendar_id = make_calendar(
        ny, "round_robin", members=("ann", "bo"), hours=(("09:00", "12:00"),)
    )
    connections = {}
    for user in ("ann", "bo"):
        remote = radicale.new_calendar(f"{user}-{ny.location_id}")
        connections[user] = connect(
            ny,
            user,
            "caldav",
            str(remote.url),
            username="ann",
            password="ann-secret",
            writeBackCalendarUrl=str(remote.url),
        )["id"]

    for start, user in (("10:00", "bo"), ("11:00", "ann"), ("11:00", "bo")):
        appointment = booked(ny, ny.calendar_id, f"{MONDAY}T{start}:00-05:00", assignedUserId=user)
        (message,) = [m for m in outbox(ny) if m["appointmentId"] == appointment["id"]]
        assert message["payload"]["connectionId"] == connections[user]
        assert message["payload"]["userId"] == user


def test_a_write_back_url_that_is_no_calendar_is_refused(ny, radicale, secret_key):
    body = {
        "locationId": ny.location_id,
        "userId": "ann",
        "kind": "caldav",
        "url": radicale.url,
        "username": "ann",
        "password": "ann-secret",
    }
    for url, reason in [
        (f"{radicale.url}ann/", "it is not a CalDAV calendar"),
        (f"{radicale.url}ann/nothing-here/", "it names nothing on the CalDAV server (404)"),
    ]:
        refused = ny.client.post(
            CONNECTIONS, json={**body, "writeBackCalendarUrl": url}, headers=ADMIN_HEADERS
        )
        assert refused.status_code == 400, refused.text
        assert refused.json()["message"][0].startswith(f"writeBackCalendarUrl: {reason}")


def test_deleting_the_connection_cancels_its_pending_write_backs(ann):
    ny = ann
    booked(ny, ny.calendar_id, "2027-03-08T10:00:00-05:00")
    booked(ny, ny.calendar_id, "2027-03-08T11:00:00-05:00")
    assert [m["status"] for m in outbox(ny)] == ["pending", "pending"]

    gone = ny.client.delete(f"{CONNECTIONS}/{ny.connection['id']}", headers=ADMIN_HEADERS)

    assert gone.status_code == 200
    assert [m["status"] for m in outbox(ny)] == ["cancelled", "cancelled"]


def test_radicale_stopped_bookings_succeed_and_the_worker_catches_up(
    ny, own_radicale, secret_key, worker
):
    ny.calendar_id = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    remote = own_radicale.new_calendar("outage")
    url = str(remote.url)
    connected = connect(
        ny, "ann", "caldav", url, username="ann", password="ann-secret", writeBackCalendarUrl=url
    )
    first = booked(ny, ny.calendar_id, "2027-03-08T09:00:00-05:00")
    drain(worker, ny)
    own_radicale.stop()

    ids = []
    for start in ("10:00", "11:00"):
        began = time.monotonic()
        ids.append(booked(ny, ny.calendar_id, f"2027-03-08T{start}:00-05:00")["id"])
        assert time.monotonic() - began < 2  # no waiting on CalDAV in the request
    edit(ny, first["id"], startTime="2027-03-08T09:30:00-05:00")
    # The suite's database holds other tests' messages too: run until each of these three has
    # been tried twice (and failed), however many others the worker takes on the way.
    deadline = time.monotonic() + 30
    while True:
        worker.run_once()
        pending = outbox(ny, status="pending")
        if all(len(m["attempts"]) >= 2 for m in pending) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(pending) == 3
    assert all(len(m["attempts"]) >= 2 for m in pending)
    assert all(m["lastError"].startswith("CalDAV: ConnectError") for m in pending)
    assert connection(ny, connected["id"])["lastWriteBackError"].startswith("CalDAV:")

    own_radicale.start()
    messages = drain(worker, ny)

    assert {m["status"] for m in messages} == {"delivered"}
    there = events_there(remote)
    assert set(there) == {f"{each}@opencalendars" for each in [first["id"], *ids]}
    assert there[f"{first['id']}@opencalendars"].decoded("DTSTART") == local("2027-03-08T09:30")
    assert connection(ny, connected["id"])["lastWriteBackError"] is None


class Recording(httpx.BaseTransport):
    """Real HTTP, each request's method, precondition and answer recorded; with `lose_first_put`
    the first PUT reaches the server, which stores the event, but its answer is lost."""

    def __init__(self, lose_first_put: bool = False):
        self.inner = httpx.HTTPTransport()
        self.lost = 0 if lose_first_put else 1
        self.seen: list[tuple[str, str | None, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        condition = request.headers.get("if-match") and "If-Match"
        condition = condition or (request.headers.get("if-none-match") and "If-None-Match")
        self.seen.append((request.method, condition, response.status_code))
        if request.method == "PUT" and not self.lost:
            self.lost += 1
            response.read()
            response.close()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def test_a_retry_after_a_lost_answer_does_not_duplicate(ann, worker):
    ny = ann
    losing = Recording(lose_first_put=True)
    worker.http = httpx.Client(transport=losing, timeout=3, follow_redirects=False)
    created = booked(ny, ny.calendar_id, "2027-03-08T10:00:00-05:00")

    [message] = drain(worker, ny)

    assert losing.lost == 1
    assert [a["outcome"] for a in message["attempts"]] == ["retry", "delivered"]
    # The retry's create meets the event the lost answer made (412), reads its ETag, replaces it.
    assert losing.seen == [
        ("PUT", "If-None-Match", 201),
        ("PUT", "If-None-Match", 412),
        ("GET", None, 200),
        ("PUT", "If-Match", 204),
    ]
    assert len(ny.remote.events()) == 1
    event = events_there(ny.remote)[f"{created['id']}@opencalendars"]
    assert event.decoded("DTSTART") == local("2027-03-08T10:00")
    assert event["SEQUENCE"] == 0


def test_out_of_order_deliveries_converge_on_the_latest_state(ann, worker, app):
    ny = ann
    created = booked(ny, ny.calendar_id, "2027-03-08T09:00:00-05:00")
    edit(ny, created["id"], startTime="2027-03-08T10:00:00-05:00")
    edit(ny, created["id"], startTime="2027-03-08T11:00:00-05:00", title="Latest")
    create_message = next(m for m in outbox(ny) if m["topic"] == "AppointmentCreate")
    # The create waits (as if its first try had failed): the moves are delivered before it.
    with app.state.db.write() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == create_message["id"])
            .values(retry_at_ms=time.time_ns() // 1_000_000 + 3_600_000)
        )
    for _ in range(3):
        worker.run_once()
    assert [m["status"] for m in outbox(ny, status="pending")] == ["pending"]
    event = events_there(ny.remote)[f"{created['id']}@opencalendars"]
    assert event.decoded("DTSTART") == local("2027-03-08T11:00")
    assert str(event["SUMMARY"]) == "Latest"

    with app.state.db.write() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == create_message["id"])
            .values(retry_at_ms=None)
        )
    drain(worker, ny)

    event = events_there(ny.remote)[f"{created['id']}@opencalendars"]
    assert event.decoded("DTSTART") == local("2027-03-08T11:00")
    assert str(event["SUMMARY"]) == "Latest"
    assert event["SEQUENCE"] == 0  # written once, from the latest state


def test_an_event_changed_there_is_overwritten_after_a_412(ann, worker):
    ny = ann
    created = booked(ny, ny.calendar_id, "2027-03-08T09:00:00-05:00", title="Ours")
    drain(worker, ny)
    [resource] = ny.remote.events()
    resource.icalendar_component["SUMMARY"] = "Changed there"
    resource.save()  # a new ETag there: ours is stale
    edit(ny, created["id"], startTime="2027-03-08T10:00:00-05:00")
    recording = Recording()
    worker.http = httpx.Client(transport=recording, timeout=3, follow_redirects=False)

    [*_, last] = drain(worker, ny)

    assert last["status"] == "delivered"
    assert recording.seen == [
        ("PUT", "If-Match", 412),
        ("GET", None, 200),
        ("PUT", "If-Match", 204),
    ]
    event = events_there(ny.remote)[f"{created['id']}@opencalendars"]
    assert str(event["SUMMARY"]) == "Ours"
    assert event.decoded("DTSTART") == local("2027-03-08T10:00")
    assert len(ny.remote.events()) == 1


def test_a_series_is_written_with_its_rule_and_a_deleted_occurrence_as_exdate(ann, worker):
    ny = ann
    series = booked(
        ny,
        ny.calendar_id,
        "2027-03-08T09:00:00-05:00",
        rrule="RRULE:FREQ=WEEKLY;COUNT=4",
        ignoreFreeSlotValidation=True,
        title="Weekly",
    )
    drain(worker, ny)
    event = events_there(ny.remote)[f"{series['id']}@opencalendars"]
    assert event.decoded("DTSTART") == local("2027-03-08T09:00")
    assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4"
    assert "EXDATE" not in event

    # 2027-03-15 09:00 New York (after the spring-forward) taken out of the series.
    second = int(local("2027-03-15T09:00").timestamp() * 1000)
    occurrence = f"{series['id']}_{second}_1800"
    assert ny.delete(f"/calendars/events/{occurrence}").status_code == 200
    drain(worker, ny)

    event = events_there(ny.remote)[f"{series['id']}@opencalendars"]
    assert [moment.dt for moment in event["EXDATE"].dts] == [local("2027-03-15T09:00")]
    assert event["SEQUENCE"] == 1
