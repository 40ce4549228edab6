"""Revision 0020 sets buffers over a day to 24 hours, the most the API accepts now (older
releases accepted more and read only two days around, so the rest went unseen); 0021 stores
each calendar's longer buffer, which busy-time reads reach as far as."""

from alembic import command
from sqlalchemy import JSON, column, insert, select, table

from opencalendars.calendars.models import Calendar
from opencalendars.db.database import Database
from opencalendars.db.migrate import alembic_config
from support.databases import fresh_database

LOCATIONS = table(
    "locations", column("id"), column("name"), column("timezone"), column("date_added_ms")
)
# The calendars table as revision 0019 left it (0021 adds a column).
CALENDARS_AT_0019 = table(
    "calendars",
    *[
        column(name)
        for name in (
            "id", "location_id", "name", "calendar_type", "slug", "widget_slug", "is_active",
            "deleted", "date_added_ms", "date_updated_ms",
        )
    ],
    column("settings", JSON),
)  # fmt: skip


def migrate(db: Database, revision: str) -> None:
    with db.engine.connect() as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def calendar(calendar_id: str, settings: dict) -> dict:
    return {
        "id": calendar_id,
        "location_id": "loc",
        "name": calendar_id,
        "calendar_type": "personal",
        "slug": calendar_id,
        "widget_slug": calendar_id,
        "is_active": True,
        "settings": settings,
        "deleted": False,
        "date_added_ms": 0,
        "date_updated_ms": 0,
    }


def test_buffers_over_a_day_become_a_day_and_the_rest_stay(tmp_path):
    kept = {"slotBuffer": 24, "slotBufferUnit": "hours", "preBuffer": 1440, "slotDuration": 90}
    with fresh_database(tmp_path) as url:
        db = Database(url)
        try:
            migrate(db, "0019")
            with db.engine.begin() as connection:
                connection.execute(
                    insert(LOCATIONS),
                    {"id": "loc", "name": "loc", "timezone": "UTC", "date_added_ms": 0},
                )
                connection.execute(
                    insert(CALENDARS_AT_0019),
                    [
                        calendar("long", {"slotBuffer": 100, "slotBufferUnit": "hours"}),
                        calendar("minutes", {"preBuffer": 1441, "slotDuration": 30}),
                        calendar("kept", kept),
                        calendar("plain", {}),
                    ],
                )
            migrate(db, "head")
            with db.engine.connect() as connection:
                columns = Calendar.__table__.c
                read = select(columns.id, columns.settings, columns.buffer_reach_ms)
                found = {row.id: row[1:] for row in connection.execute(read)}
        finally:
            db.dispose()

    day = 86_400_000
    assert found == {
        "long": ({"slotBuffer": 24, "slotBufferUnit": "hours"}, day),
        "minutes": ({"preBuffer": 24, "preBufferUnit": "hours", "slotDuration": 30}, day),
        "kept": (kept, day),
        "plain": ({}, 0),
    }
