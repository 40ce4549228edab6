"""The busy-time reads use the indexes made for them (docs/architecture.md, "Storage").

SQLite plans without statistics (nobody runs ANALYZE on an embedded database), so an index
added for another read can win the planner's heuristics: the contacts' index led by location_id
once made the location-wide read of recurring series walk every appointment of the location
(150 ms a booking with 100,000 of them). PostgreSQL plans with statistics and is not checked here.
"""

import pytest
from sqlalchemy import insert

from opencalendars.appointments.models import Appointment
from opencalendars.busy.appointments import _OCCUPYING_SERIES
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
