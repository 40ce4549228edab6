"""Revision 0020 sets buffers over a day to 24 hours, the most the API accepts now (older
releases accepted more and read only two days around, so the rest went unseen)."""

from alembic import command
from sqlalchemy import column, insert, select, table

from opencalendars.calendars.models import Calendar
from opencalendars.db.database import Database
from opencalendars.db.migrate import alembic_config
from support.databases import fresh_database

LOCATIONS = table(
    "locations", column("id"), column("name"), column("timezone"), column("date_added_ms")
)


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
                    insert(Calendar.__table__),
                    [
                        calendar("long", {"slotBuffer": 100, "slotBufferUnit": "hours"}),
                        calendar("minutes", {"preBuffer": 1441, "slotDuration": 30}),
                        calendar("kept", kept),
                        calendar("plain", {}),
                    ],
                )
            migrate(db, "head")
            with db.engine.connect() as connection:
                table_ = Calendar.__table__
                found = dict(connection.execute(select(table_.c.id, table_.c.settings)).all())
        finally:
            db.dispose()

    assert found == {
        "long": {"slotBuffer": 24, "slotBufferUnit": "hours"},
        "minutes": {"preBuffer": 24, "preBufferUnit": "hours", "slotDuration": 30},
        "kept": kept,
        "plain": {},
    }
