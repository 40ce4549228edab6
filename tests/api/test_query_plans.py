"""The busy-time reads use the indexes made for them (docs/architecture.md, "Storage").

SQLite plans without statistics (nobody runs ANALYZE on an embedded database), so an index
added for another read can win the planner's heuristics: the contacts' index led by location_id
once made the location-wide read of recurring series walk every appointment of the location
(150 ms a booking with 100,000 of them). PostgreSQL plans with statistics and is not checked here.
"""

import pytest
from sqlalchemy import insert

from opencalendars.appointments.models import Appointment
from opencalendars.blocked_slots.models import BlockedSlot
from opencalendars.busy.appointments import _OCCUPYING_SERIES
from opencalendars.busy.blocks import _BLOCKING_SQLITE, blocking_spans
from opencalendars.db.batch import run_plan, single
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
    plan = query_plan(app, _BLOCKING_SQLITE, parameters)
    by_calendar = "ix_blocked_slots_busy_calendar (location_id=? AND calendar_id=? AND end_ms>?)"
    by_user = "ix_blocked_slots_busy_user (location_id=? AND assigned_user_id=? AND end_ms>?)"
    assert f"COVERING INDEX {by_calendar}" in plan, plan
    assert f"COVERING INDEX {by_user}" in plan, plan
