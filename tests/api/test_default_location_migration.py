"""Revision 0009 repairs the defaults that concurrent creates and deletes of older releases
left behind (several live defaults, or none) before it adds the index that forbids them."""

from alembic import command
from sqlalchemy import column, insert, select, table

from opencalendars.db.database import Database
from opencalendars.db.migrate import alembic_config
from opencalendars.services.models import ServiceLocation
from support.databases import fresh_database

# The locations table as revision 0008 left it (later revisions add columns).
LOCATIONS_AT_0008 = table(
    "locations", column("id"), column("name"), column("timezone"), column("date_added_ms")
)


def place(location_id: str, place_id: str, added_ms: int, is_default: bool, deleted=False):
    return {
        "id": place_id,
        "location_id": location_id,
        "name": place_id,
        "slug": place_id,
        "location_type": "ask_booker",
        "is_default": is_default,
        "deleted": deleted,
        "date_added_ms": added_ms,
        "date_updated_ms": added_ms,
    }


def migrate(db: Database, revision: str) -> None:
    with db.engine.connect() as connection:
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def test_several_defaults_keep_the_oldest_and_none_gets_the_oldest_live(tmp_path):
    with fresh_database(tmp_path) as url:
        db = Database(url)
        try:
            migrate(db, "0008")
            with db.engine.begin() as connection:
                for location_id in ("many", "none", "fine"):
                    connection.execute(
                        insert(LOCATIONS_AT_0008),
                        {
                            "id": location_id,
                            "name": location_id,
                            "timezone": "UTC",
                            "date_added_ms": 0,
                        },
                    )
                connection.execute(
                    insert(ServiceLocation.__table__),
                    [
                        place("many", "m3", 2, True),
                        place("many", "m2", 1, True),
                        place("many", "m1", 1, True),
                        place("many", "m0", 0, True, deleted=True),
                        place("none", "n0", 0, True, deleted=True),
                        place("none", "n2", 2, False),
                        place("none", "n1", 1, False),
                        place("fine", "f0", 0, False),
                        place("fine", "f1", 1, True),
                    ],
                )

            migrate(db, "head")

            with db.engine.connect() as connection:
                rows = connection.execute(
                    select(ServiceLocation.id).where(
                        ServiceLocation.is_default.is_(True), ServiceLocation.deleted.is_(False)
                    )
                )
                assert sorted(row.id for row in rows) == ["f1", "m1", "n1"]
        finally:
            db.dispose()
