"""Free slots asked again while nothing changed are answered from the rows read last time
(db/read_cache.py), and the first commit anywhere, by any process, is in the next answer."""

import random
from collections import Counter
from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from api.slot_helpers import book, make_calendar, offered, tables_of
from opencalendars import clock
from opencalendars.app import create_app
from opencalendars.availability import engine
from opencalendars.db import batch
from opencalendars.db.loop_connections import AsyncConnections
from opencalendars.settings import Settings
from opencalendars.slots import service
from support.api import ADMIN_KEY, create_tenant
from support.databases import fresh_database
from support.server import live_server

MONDAY = "2027-03-01"  # ahead of the real clock: the live servers here do not freeze it
FRIDAY = "2027-03-05"
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday")
WEEK_DATES = [f"2027-03-0{day}" for day in range(1, 6)]
ZONE = "America/New_York"


def without_trace(answer: dict) -> dict:
    """The answer's days (its `traceId` differs on every request)."""
    return {key: value for key, value in answer.items() if key != "traceId"}


def block(tenant, start: str, end: str, **owner) -> str:
    """A blocked slot of `owner` (`calendarId` or `assignedUserId`)."""
    body = {"locationId": tenant.location_id, "startTime": start, "endTime": end, **owner}
    response = tenant.post("/calendars/events/block-slots", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def with_token(client: httpx.Client, tenant):
    """`tenant`, asking through another server process."""
    return type(tenant)(client, tenant.location_id, tenant.token, tenant.token_id)


@pytest.mark.slow
def test_a_commit_by_another_process_is_in_the_next_answer(tmp_path):
    with (
        fresh_database(tmp_path) as url,
        live_server(url, tmp_path) as first,
        live_server(url, tmp_path) as second,
        httpx.Client(base_url=first.base_url, timeout=30) as first_client,
        httpx.Client(base_url=second.base_url, timeout=30) as second_client,
    ):
        tenant = create_tenant(first_client)
        elsewhere = with_token(second_client, tenant)
        calendar_id = make_calendar(tenant)
        whole = offered(tenant, calendar_id, MONDAY)
        assert len(whole) == 6  # 09:00-12:00, 30 minutes each
        assert offered(tenant, calendar_id, MONDAY) == whole  # asked again: the same answer

        block_id = block(
            elsewhere,
            f"{MONDAY}T10:00:00-05:00",
            f"{MONDAY}T11:00:00-05:00",
            calendarId=calendar_id,
        )
        blocked = [slot for slot in whole if "T10:" not in slot]
        assert offered(tenant, calendar_id, MONDAY) == blocked
        assert offered(tenant, calendar_id, MONDAY) == blocked

        assert elsewhere.delete(f"/calendars/events/{block_id}").status_code == 200
        assert offered(tenant, calendar_id, MONDAY) == whole


@pytest.mark.slow
def test_a_booked_start_is_never_offered_again_by_either_worker(tmp_path):
    with (
        fresh_database(tmp_path) as url,
        live_server(url, tmp_path, workers=2) as live,
        httpx.Client(base_url=live.base_url, timeout=30) as client,
    ):
        tenant = create_tenant(client)
        calendar_id = make_calendar(tenant)
        starts = offered(tenant, calendar_id, MONDAY)
        for _ in range(4):  # both workers keep rows of the whole day
            assert offered(tenant, calendar_id, MONDAY) == starts
        for n, start in enumerate(starts):
            book(tenant, calendar_id, start, f"contact-{n}")
            # Whichever worker answers (new connections spread over both), never stale.
            for _ in range(3):
                assert offered(tenant, calendar_id, MONDAY) == starts[n + 1 :]


def count_reads(db, monkeypatch) -> list:
    """What the plans send from now on: each statement on SQLite, each round on PostgreSQL."""
    sent = []
    if db.is_sqlite:
        all_rows = batch._all_rows
        monkeypatch.setattr(
            batch, "_all_rows", lambda *args: sent.append(args[1]) or all_rows(*args)
        )
    else:
        run = AsyncConnections.run
        monkeypatch.setattr(
            AsyncConnections, "run", lambda self, use: sent.append(use) or run(self, use)
        )
    return sent


def test_an_unchanged_database_is_not_read_again(app, tenant, monkeypatch):
    """On SQLite every statement of the second request comes from the cache; on PostgreSQL
    only the first round (the calendar, the clock and the location's version) is sent."""
    db = app.state.db
    calendar_id = make_calendar(tenant)
    sent = count_reads(db, monkeypatch)
    first = offered(tenant, calendar_id, MONDAY)
    read_first = len(sent)
    assert read_first >= 2
    sent.clear()
    assert offered(tenant, calendar_id, MONDAY) == first
    assert len(sent) == (0 if db.is_sqlite else 1)

    block(tenant, f"{MONDAY}T09:00:00-05:00", f"{MONDAY}T09:30:00-05:00", calendarId=calendar_id)
    sent.clear()
    assert offered(tenant, calendar_id, MONDAY) == first[1:]
    # The commit: what names the blocked slots is read again (on PostgreSQL, a second round).
    if db.is_sqlite:
        assert [tables_of(sql) for sql in sent] == [{"blocked_slots"}]
    else:
        assert len(sent) == 2


def engine_runs(monkeypatch) -> list:
    """Each time the engine computes a free-slots answer from now on."""
    runs = []
    compute = service.offered
    monkeypatch.setattr(
        service, "offered", lambda inputs, known: runs.append(1) or compute(inputs, known)
    )
    return runs


def persons_found(monkeypatch) -> list[str]:
    """The key of each person whose starts the engine finds from now on."""
    found = []
    find = engine.person_starts

    def noted(person, *args, **kwargs):
        found.append(person.key)
        return find(person, *args, **kwargs)

    monkeypatch.setattr(engine, "person_starts", noted)
    return found


def real_time(monkeypatch, local: str) -> None:
    """The server's real clock (not frozen) reads `local` from now on."""
    instant = int(datetime.fromisoformat(local).timestamp() * 1000)
    monkeypatch.setattr(clock, "real_now_ms", lambda: instant)


def test_asked_again_the_engine_does_not_run_and_time_passing_drops_the_past(
    app, tenant, monkeypatch
):
    """The starts offered last time answer while the database is unchanged; as real time
    passes they lose those before it, exactly what the engine would offer."""
    calendar_id = make_calendar(tenant)  # Monday 09:00-12:00, 30-minute slots
    real_time(monkeypatch, f"{MONDAY}T08:00:00-05:00")
    whole = offered(tenant, calendar_id, MONDAY)
    assert len(whole) == 6
    runs = engine_runs(monkeypatch)
    assert offered(tenant, calendar_id, MONDAY) == whole
    assert runs == []

    runs.clear()
    real_time(monkeypatch, f"{MONDAY}T10:10:00-05:00")
    later = [f"{MONDAY}T10:30:00-05:00", f"{MONDAY}T11:00:00-05:00", f"{MONDAY}T11:30:00-05:00"]
    assert offered(tenant, calendar_id, MONDAY) == later
    assert runs == []


def test_kept_starts_never_answer_for_an_earlier_instant_or_other_rules(app, tenant, monkeypatch):
    """A booking window that moved at the location's midnight (UTC here), or the clock put
    back: the starts kept before do not answer; the engine runs again."""
    calendar_id = make_calendar(tenant, allowBookingFor=1, allowBookingForUnit="days")
    real_time(monkeypatch, f"{MONDAY}T10:10:00-05:00")
    assert len(offered(tenant, calendar_id, MONDAY)) == 3
    real_time(monkeypatch, f"{MONDAY}T08:00:00-05:00")
    assert len(offered(tenant, calendar_id, MONDAY)) == 6
    # Sunday 18:00 in New York is 23:00 UTC: the window (1 day from today's start) ends at
    # Monday 00:00 UTC, before Monday's hours.
    real_time(monkeypatch, "2027-02-28T18:00:00-05:00")
    assert offered(tenant, calendar_id, MONDAY) == []
    real_time(monkeypatch, "2027-02-28T20:00:00-05:00")  # Monday 01:00 UTC: a day more
    assert len(offered(tenant, calendar_id, MONDAY)) == 6


def test_a_commit_that_changes_nothing_the_engine_sees_does_not_run_it(app, tenant, monkeypatch):
    """Any commit starts a new version and everything is read again; when the engine's inputs
    read then are those of the starts offered last time (another calendar was blocked), those
    starts answer. A commit the engine does see (this calendar blocked) runs it."""
    calendar_id = make_calendar(tenant)  # Monday 09:00-12:00, 30-minute slots, ann
    other_id = make_calendar(tenant)  # ann too: only its own blocks are its own
    whole = offered(tenant, calendar_id, MONDAY)
    assert len(whole) == 6
    runs = engine_runs(monkeypatch)
    block(tenant, f"{MONDAY}T09:00:00-05:00", f"{MONDAY}T10:00:00-05:00", calendarId=other_id)
    assert offered(tenant, calendar_id, MONDAY) == whole
    assert offered(tenant, other_id, MONDAY) == whole[2:]
    assert len(runs) == 1  # the other calendar's, whose inputs changed

    block(tenant, f"{MONDAY}T11:30:00-05:00", f"{MONDAY}T12:00:00-05:00", calendarId=calendar_id)
    assert offered(tenant, calendar_id, MONDAY) == whole[:-1]
    assert len(runs) == 2


def test_after_a_booking_the_engine_finds_only_the_booked_members_starts_again(
    app, tenant, monkeypatch
):
    """A person's starts depend on their own inputs, the rules and the resources alone: the
    members whose busy time did not change keep the starts found for them last time."""
    calendar_id = make_calendar(tenant, "round_robin", members=("ann", "bob", "cy"))
    whole = offered(tenant, calendar_id, MONDAY)
    assert len(whole) == 6
    found = persons_found(monkeypatch)
    book(tenant, calendar_id, whole[0], "contact-1", assignedUserId="bob")
    found.clear()
    assert offered(tenant, calendar_id, MONDAY) == whole  # ann and cy are still free at 09:00
    assert found == ["bob"]
    # bob's own block: bob again; the calendar's rules changed: everyone.
    block(tenant, f"{MONDAY}T09:30:00-05:00", f"{MONDAY}T10:00:00-05:00", assignedUserId="bob")
    found.clear()
    assert offered(tenant, calendar_id, MONDAY) == whole
    assert found == ["bob"]
    edited = tenant.put(f"/calendars/{calendar_id}", json={"slotInterval": 60})
    assert edited.status_code == 200, edited.text
    found.clear()
    assert len(offered(tenant, calendar_id, MONDAY)) == 3
    assert sorted(found) == ["ann", "bob", "cy"]


def statements_read_in_threads(db, monkeypatch) -> list[str]:
    """The SQL of each statement the plans of worker threads send from now on (the versions
    read ahead of them aside): one by one on SQLite, pipelined on PostgreSQL."""
    sent = []
    if db.is_sqlite:
        all_rows = batch._all_rows
        monkeypatch.setattr(
            batch, "_all_rows", lambda *args: sent.append(args[1]) or all_rows(*args)
        )
        return sent
    pipelined = batch._pipelined

    def noted(connection, statements):
        sent.extend(sql for sql, _ in statements)
        return pipelined(connection, statements)

    monkeypatch.setattr(batch, "_pipelined", noted)
    return sent


def test_the_widgets_month_is_read_once_while_nothing_changes(app, client, tenant, monkeypatch):
    """The booking widget's month of slots (a worker thread's plans) uses the same rows, on
    both engines: asked again, nothing is read but the versions; after a block, what names the
    blocked slots."""
    calendar_id = make_calendar(tenant)
    sent = statements_read_in_threads(app.state.db, monkeypatch)
    path = f"/widget/booking/{calendar_id}/slots"
    params = {"month": MONDAY[:7], "timezone": ZONE}
    month = client.get(path, params=params).json()
    assert sent
    sent.clear()
    assert client.get(path, params=params).json() == month
    assert sent == []

    block(tenant, f"{MONDAY}T09:00:00-05:00", f"{MONDAY}T09:30:00-05:00", calendarId=calendar_id)
    sent.clear()
    assert client.get(path, params=params).json()[MONDAY]["slots"] == month[MONDAY]["slots"][1:]
    assert [tables_of(sql) for sql in sent] == [{"blocked_slots"}]


def test_with_the_cache_turned_off_every_request_reads(tmp_path, monkeypatch):
    with fresh_database(tmp_path) as url:
        settings = Settings(
            database_url=url, admin_key=ADMIN_KEY, rate_limits=None, read_cache=False
        )
        app = create_app(settings)
        with TestClient(app) as client:
            tenant = create_tenant(client)
            calendar_id = make_calendar(tenant)
            sent = count_reads(app.state.db, monkeypatch)
            first = offered(tenant, calendar_id, MONDAY)
            read_first = len(sent)
            for _ in range(3):
                sent.clear()
                assert offered(tenant, calendar_id, MONDAY) == first
                assert len(sent) == read_first >= 2
        app.state.db.dispose()


@pytest.mark.slow
def test_answers_from_memory_equal_fresh_reads_through_random_changes(tmp_path):
    """Bookings, cancellations, reschedules, blocks and their removal, made at random through
    either of two server processes; after each, a server that keeps rows (two workers) and one
    that reads every time answer the week alike, asked twice each."""
    rng = random.Random(20270301)
    with (
        fresh_database(tmp_path) as url,
        live_server(url, tmp_path, workers=2) as kept,
        live_server(url, tmp_path, env={"OPENCALENDARS_READ_CACHE": "off"}) as fresh,
        httpx.Client(base_url=kept.base_url, timeout=30) as kept_client,
        httpx.Client(base_url=fresh.base_url, timeout=30) as fresh_client,
    ):
        tenant = create_tenant(kept_client)
        servers = [tenant, with_token(fresh_client, tenant)]
        calendar_id = make_calendar(
            tenant, members=("ann", "bob"), calendar_type="round_robin", days=WEEK
        )
        params = {"startDate": MONDAY, "endDate": FRIDAY, "timezone": ZONE}
        path = f"/calendars/{calendar_id}/free-slots"

        def answers() -> list[dict]:
            found = [server.get(path, params=params) for server in servers for _ in range(2)]
            assert {response.status_code for response in found} == {200}
            return [without_trace(response.json()) for response in found]

        appointments, blocks, done = [], [], Counter()
        for step in range(40):
            starts = [slot for day in answers()[1].values() for slot in day["slots"]]
            through = rng.choice(servers)
            action = rng.choice(["book", "book", "cancel", "move", "block", "unblock"])
            if action == "book" and starts:
                appointments.append(
                    book(through, calendar_id, rng.choice(starts), f"contact-{step}")
                )
            elif action in ("cancel", "move") and appointments and starts:
                chosen = rng.choice(appointments)
                change = (
                    {"appointmentStatus": rng.choice(["cancelled", "confirmed"])}
                    if action == "cancel"
                    else {"startTime": rng.choice(starts), "ignoreFreeSlotValidation": True}
                )
                edited = through.put(f"/calendars/events/appointments/{chosen}", json=change)
                assert edited.status_code == 200, edited.text
            elif action == "block":
                day = rng.choice(WEEK_DATES)
                hour = rng.randrange(9, 12)
                blocks.append(
                    block(
                        through,
                        f"{day}T{hour:02d}:00:00-05:00",
                        f"{day}T{hour:02d}:30:00-05:00",
                        assignedUserId=rng.choice(["ann", "bob"]),
                    )
                )
            elif action == "unblock" and blocks:
                removed = through.delete(
                    f"/calendars/events/{blocks.pop(rng.randrange(len(blocks)))}"
                )
                assert removed.status_code == 200, removed.text
            else:
                continue
            done[action] += 1
            first, *others = answers()
            assert all(other == first for other in others), f"step {step}: {action}"
        assert set(done) == {"book", "cancel", "move", "block", "unblock"}, done
