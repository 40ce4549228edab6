"""The synced busy time as free slots and bookings read it (busy/external.py): long events
stored in pieces, the covering index."""

from itertools import pairwise

import pytest
from sqlalchemy import select

from api.slot_helpers import free, make_calendar, times
from opencalendars.busy.external import _EXTERNAL_BUSY_SQLITE
from opencalendars.sync.models import MAX_SPAN_MS, ExternalBusy
from sync.helpers import connect, sync, vcalendar, vevent

pytestmark = pytest.mark.usefixtures("now")


def test_a_three_week_absence_blocks_every_day_of_it(ny, ics_server, app):
    calendar_id = make_calendar(ny, members=("ann",), hours=(("09:00", "12:00"),))
    url, _ = ics_server.serve(
        f"/{ny.location_id}/away.ics", vcalendar(vevent("away", "20270308", "20270329"))
    )
    connection = connect(ny, "ann", "ics", url)

    assert sync(ny, connection["id"])["busyCount"] == 1

    with app.state.db.read() as session:
        spans = session.execute(
            select(ExternalBusy.start_ms, ExternalBusy.end_ms)
            .where(ExternalBusy.connection_id == connection["id"])
            .order_by(ExternalBusy.position)
        ).all()
    assert len(spans) == 3
    assert all(end - start <= MAX_SPAN_MS for start, end in spans)
    assert all(a[1] == b[0] for a, b in pairwise(spans))
    for monday in ("2027-03-08", "2027-03-15", "2027-03-22"):
        assert times(free(ny, calendar_id, monday)) == [], monday
    assert times(free(ny, calendar_id, "2027-03-29")) != []


def test_the_read_uses_the_covering_index(app):
    db = app.state.db
    if not db.is_sqlite:
        pytest.skip("SQLite's planner, without statistics; PostgreSQL plans with them")
    parameters = {
        "location_id": "x",
        "user_ids": ["ann", "bob"],
        "start_ms": 0,
        "end_ms": 1,
        "lookback_ms": -1,
    }
    sql, values = _EXTERNAL_BUSY_SQLITE.compiled(db.engine.dialect).sql_and_parameters(parameters)
    with db.engine.connect() as connection:
        cursor = connection.connection.driver_connection.execute(
            "EXPLAIN QUERY PLAN " + sql, values
        )
        plan = " | ".join(row[-1] for row in cursor)

    assert "USING COVERING INDEX ix_external_busy_busy" in plan
