"""The busy-time reads use the indexes made for them (docs/architecture.md, "Storage").

SQLite plans without statistics (nobody runs ANALYZE on an embedded database), so an index
added for another read can win the planner's heuristics: the contacts' index led by location_id
once made the location-wide read of recurring series walk every appointment of the location
(150 ms a booking with 100,000 of them). PostgreSQL plans with statistics and is not checked here.
"""

import pytest
from sqlalchemy import insert

from api.slot_helpers import appointment
from opencalendars.appointments.models import Appointment
from opencalendars.appointments.store import save_appointment
from opencalendars.blocked_slots.models import BlockedSlot
from opencalendars.busy.appointments import (
    _LONG_OCCUPYING_FOR_USERS,
    _OCCUPYING_FOR_USERS_SQLITE,
    _OCCUPYING_IN_CALENDAR,
    _OCCUPYING_SERIES,
    MAX_APPOINTMENT_MS,
    long_occupying_for_users,
    occupying_for_users,
    occupying_in_calendar,
)
from opencalendars.busy.blocks import _BLOCKING, blocking_spans
from opencalendars.calendars.service import _LOCATION_BUFFER_REACH
from opencalendars.db.batch import Fetch, run_plan, single
from opencalendars.ids import new_id
from support.api import create_tenant


def query_plan(app, read, parameters: dict) -> str:
    db = app.state.db
    if not db.is_sqlite:
        pytest.skip("SQLite's planner, without statistics; PostgreSQL plans with them")
    sql, values = read.compiled(db.engine.dialect).sql_and_parameters(parameters)
    with db.engine.connect() as connection:
        cursor = connection.connection.driver_connection.execute(
            "EXPLAIN QUERY PLAN " + sql, values
        )
        return " | ".join(row[-1] for row in cursor)


def test_the_read_of_recurring_series_uses_the_series_index(app, client):
    tenant = create_tenant(client)
    with app.state.db.engine.begin() as connection:
        connection.execute(
            insert(Appointment.__table__),
            [
                {
                    "id": new_id(),
                    "location_id": tenant.location_id,
                    "calendar_id": "calendar",
                    "assigned_user_id": "ann",
                    "users": [],
                    "contact_id": f"contact-{n}",
                    "title": "",
                    "status": "confirmed",
                    "start_ms": n * 3_600_000,
                    "end_ms": n * 3_600_000 + 1_800_000,
                    "deleted": False,
                    "details": {},
                    "date_added_ms": 0,
                    "date_updated_ms": 0,
                }
                for n in range(50)
            ],
        )

    plan = query_plan(
        app,
        _OCCUPYING_SERIES,
        {
            "location_id": tenant.location_id,
            "start_ms": 0,
            "end_ms": 86_400_000,
            "exclude_id": "",
            "user_ids": ["ann", "bob"],
            "calendar_id": None,
        },
    )

    assert "USING INDEX ix_appointments_series" in plan, plan


def test_the_read_of_blocked_slots_scans_only_blocks_still_to_end(app, client):
    """Busy time reads a calendar's and its people's blocks through the covering indexes led by
    end_ms: years of past blocks are not walked (the `OR` it replaced walked every block of the
    location), and a block that started long before the range still counts."""
    tenant = create_tenant(client)
    hour = 3_600_000
    blocks = [
        {
            "id": new_id(),
            "location_id": tenant.location_id,
            "calendar_id": None if n % 2 else "calendar",
            "assigned_user_id": ("ann", "bob", "cid")[n % 3] if n % 2 else None,
            "title": "",
            "start_ms": n * hour,
            # Block 7 (bob's) started long before the range and runs into it.
            "end_ms": 1_005 * hour if n == 7 else n * hour + hour // 2,
            "deleted": n % 11 == 0,
            "date_added_ms": 0,
            "date_updated_ms": 0,
        }
        for n in range(2_000)
    ]
    with app.state.db.engine.begin() as connection:
        connection.execute(insert(BlockedSlot.__table__), blocks)
    parameters = {
        "location_id": tenant.location_id,
        "calendar_id": "calendar",
        "user_ids": ["ann", "bob"],
        "start_ms": 1_000 * hour,
        "end_ms": 1_010 * hour,
    }

    with app.state.db.read() as session:
        calendar_blocks, user_blocks = run_plan(
            session,
            single(
                blocking_spans(
                    tenant.location_id,
                    "calendar",
                    user_ids=["ann", "bob"],
                    start_ms=parameters["start_ms"],
                    end_ms=parameters["end_ms"],
                )
            ),
        )

    overlapping = [
        block
        for block in blocks
        if not block["deleted"]
        and block["end_ms"] > parameters["start_ms"]
        and block["start_ms"] < parameters["end_ms"]
    ]
    assert sorted(calendar_blocks) == sorted(
        (b["start_ms"], b["end_ms"]) for b in overlapping if b["calendar_id"] == "calendar"
    )
    for user in ("ann", "bob"):
        assert sorted(user_blocks[user]) == sorted(
            (b["start_ms"], b["end_ms"]) for b in overlapping if b["assigned_user_id"] == user
        )
    assert (7 * hour, 1_005 * hour) in user_blocks["bob"]

    # The same answer on both engines; the plan is checked on SQLite (see query_plan).
    plan = query_plan(app, _BLOCKING, parameters)
    by_calendar = "ix_blocked_slots_busy_calendar (location_id=? AND calendar_id=? AND end_ms>?)"
    by_user = "ix_blocked_slots_busy_user (location_id=? AND assigned_user_id=? AND end_ms>?)"
    assert f"COVERING INDEX {by_calendar}" in plan, plan
    assert f"COVERING INDEX {by_user}" in plan, plan


def test_the_reads_of_appointments_look_back_a_day_and_find_longer_ones_apart(app, client):
    """Busy time reads a day back in the busy indexes and the appointments lasting over a day in
    partial indexes of their own: the answer is every appointment overlapping the range,
    whatever it lasts, and the plans scan what they should."""
    tenant = create_tenant(client)
    hour, day = 3_600_000, 86_400_000
    start_ms, end_ms = 1_000 * day, 1_000 * day + 10 * hour
    spans = [
        (start_ms - day, start_ms + 1),  # just over a day, started as the look back ends
        (start_ms - day + 1, start_ms + 1),  # a day exactly, started just inside it
        (start_ms - day, start_ms),  # a day exactly, ends as the range starts: not busy
        (start_ms - 20 * day, start_ms + hour),
        (start_ms - MAX_APPOINTMENT_MS + 1, start_ms + 1),  # the longest there may be
        (start_ms - 40 * day, start_ms - 39 * day),
        (end_ms, end_ms + hour),  # starts as the range ends: not busy
        # Short ones over the 40 days before the range and in it.
        *((start_ms - n * 7 * hour, start_ms - n * 7 * hour + hour) for n in range(-1, 140)),
    ]
    with app.state.db.write() as session:
        for held in spans:
            for calendar_id, holder in (("event-calendar", None), ("other", "ann")):
                save_appointment(
                    session, appointment(tenant.location_id, calendar_id, holder, held)
                )
    span = {"start_ms": start_ms, "end_ms": end_ms}
    with app.state.db.read() as session:
        (held,) = run_plan(
            session, single(occupying_for_users(tenant.location_id, ["ann"], **span))
        )
        long = run_plan(
            session,
            single(long_occupying_for_users(tenant.location_id, ["ann"], start_ms=start_ms)),
        )
        own = run_plan(
            session, single(occupying_in_calendar(tenant.location_id, "event-calendar", **span))
        )
        named_twice = run_plan(
            session,
            single(occupying_for_users(tenant.location_id, ["ann", "bo", "ann"], **span)),
        )

    overlapping = sorted((s, e) for s, e in spans if s < end_ms and e > start_ms)
    assert len(overlapping) == 6  # 4 of the first 7, and 2 short ones
    assert sorted(held.spans + [(a.start_ms, a.end_ms) for a in long]) == overlapping
    assert sorted((a.start_ms, a.end_ms) for a in long) == sorted(
        (s, e) for s, e in overlapping if s <= start_ms - day
    )
    assert sorted(own) == overlapping
    # Someone named twice is read once (PostgreSQL reads each person named with a scan of their
    # own); someone with nothing in the range is not in the answer.
    assert [(h.user_id, h.calendar_id, sorted(h.spans)) for h in named_twice] == [
        ("ann", "other", sorted(held.spans))
    ]

    # The same answer on both engines; the plans are checked on SQLite (see query_plan).
    parameters = {
        "location_id": tenant.location_id,
        "user_ids": ["ann"],
        "calendar_id": "event-calendar",
        "exclude_id": "",
        "recent_ms": start_ms - day,
        "lookback_ms": start_ms - MAX_APPOINTMENT_MS,
        **span,
    }
    assert (
        "COVERING INDEX ix_appointment_users_busy (location_id=? AND user_id=? AND start_ms>?"
        in (query_plan(app, _OCCUPYING_FOR_USERS_SQLITE, parameters))
    )
    assert (
        "COVERING INDEX ix_appointment_users_long (location_id=? AND user_id=? AND start_ms>?"
        in (query_plan(app, _LONG_OCCUPYING_FOR_USERS, parameters))
    )
    assert "INDEX ix_appointments_long (location_id=? AND calendar_id=? AND start_ms>?" in (
        query_plan(app, _OCCUPYING_IN_CALENDAR, parameters)
    )


def test_the_locations_longest_buffer_is_one_seek_of_its_index(app, client):
    tenant = create_tenant(client)
    for minutes in (5, 45, 20):
        created = tenant.post(
            "/calendars/",
            json={"locationId": tenant.location_id, "name": "c", "slotBuffer": minutes},
        )
        assert created.status_code == 200, created.text

    with app.state.db.read() as session:
        rows = run_plan(
            session, single(Fetch(_LOCATION_BUFFER_REACH, {"location_id": tenant.location_id}))
        )
    assert [row.buffer_reach_ms for row in rows] == [45 * 60_000]
    plan = query_plan(app, _LOCATION_BUFFER_REACH, {"location_id": tenant.location_id})
    assert plan == (
        "SEARCH calendars USING COVERING INDEX ix_calendars_location_id_buffer_reach_ms "
        "(location_id=?)"
    )
