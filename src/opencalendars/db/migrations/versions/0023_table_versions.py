"""table versions: a location's version is kept table by table (db/location_versions.py), so that
a change to one table leaves the kept reads of the others in use

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

Only adds, as every revision: a column to each table, and the table to `location_versions`'
key. A process of the previous release still reads a location's version as the sum of all its
rows, which every new change still adds to and compaction never changes; its compaction, which
names the old key, fails (logged, tried again each second) and leaves the rows to the new
processes'.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# As db/location_versions.py (a migration keeps its own copy of what it creates).
WATCHED_TABLES = (
    "appointment_users",
    "appointments",
    "blocked_slots",
    "calendar_resources",
    "calendars",
    "event_calendar_schedules",
    "external_busy",
    "schedule_calendars",
    "schedules",
    "service_segment_staff",
)
EVERY_LOCATION_TABLES = ("server_clock",)
EVERY_LOCATION = "*"
LEGACY_TABLE = ""


# PostgreSQL: the trigger functions of 0022, the changed table (`TG_TABLE_NAME`) written with each
# location. The triggers call them by name and stay as they are.
def pg_functions(with_table: bool) -> tuple[str, ...]:
    column, value = (", table_name", ", TG_TABLE_NAME") if with_table else ("", "")
    return (
        f"""
        CREATE OR REPLACE FUNCTION opencalendars_location_rows_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO location_changes (location_id{column}, weight)
            SELECT DISTINCT location_id{value}, 1 FROM changed_rows;
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION opencalendars_location_rows_updated() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO location_changes (location_id{column}, weight)
            SELECT location_id{value}, 1 FROM (
                SELECT location_id FROM old_rows UNION SELECT location_id FROM changed_rows
            ) AS touched;
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE OR REPLACE FUNCTION opencalendars_every_location_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO location_changes (location_id{column}, weight)
            VALUES ('{EVERY_LOCATION}'{value}, 1);
            RETURN NULL;
        END
        $$
        """,
    )


# SQLite: row triggers adding 1 to the row of the location (and, with `table`, of the table).
def _add_to(location: str, table: str | None, when: str = "") -> str:
    if table is None:
        return (
            "INSERT INTO location_versions (location_id, weight)"
            f" SELECT {location}, 1 WHERE true{when}"
            " ON CONFLICT (location_id) DO UPDATE SET weight = weight + 1;"
        )
    return (
        "INSERT INTO location_versions (location_id, table_name, weight)"
        f" SELECT {location}, '{table}', 1 WHERE true{when}"
        " ON CONFLICT (location_id, table_name) DO UPDATE SET weight = weight + 1;"
    )


def sqlite_triggers(with_table: bool) -> list[str]:
    triggers = []
    for table in WATCHED_TABLES:
        named = table if with_table else None
        moved = " AND OLD.location_id IS NOT NEW.location_id"
        triggers += [
            f"CREATE TRIGGER {table}_location_inserted AFTER INSERT ON {table}"
            f" BEGIN {_add_to('NEW.location_id', named)} END",
            f"CREATE TRIGGER {table}_location_deleted AFTER DELETE ON {table}"
            f" BEGIN {_add_to('OLD.location_id', named)} END",
            f"CREATE TRIGGER {table}_location_updated AFTER UPDATE ON {table}"
            f" BEGIN {_add_to('NEW.location_id', named)}"
            f" {_add_to('OLD.location_id', named, moved)} END",
        ]
    for table in EVERY_LOCATION_TABLES:
        named = table if with_table else None
        triggers += [
            f"CREATE TRIGGER {table}_every_location_{event.lower()}d AFTER {event} ON {table}"
            f" BEGIN {_add_to(repr(EVERY_LOCATION), named)} END"
            for event in ("INSERT", "UPDATE", "DELETE")
        ]
    return triggers


def drop_sqlite_triggers() -> None:
    triggers = op.get_bind().exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%location_versions%'"
    )
    for name in list(triggers.scalars()):
        op.execute(f"DROP TRIGGER {name}")


def location_versions_table(name: str, with_table: bool) -> None:
    key = ["location_id", "table_name"] if with_table else ["location_id"]
    columns = [
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.BigInteger(), nullable=False),
    ]
    if with_table:
        columns.append(
            sa.Column(
                "table_name", sa.String(length=64), server_default=LEGACY_TABLE, nullable=False
            )
        )
    op.create_table(name, *columns, sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{name}")))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        drop_sqlite_triggers()
    op.add_column(
        "location_changes",
        sa.Column("table_name", sa.String(length=64), server_default=LEGACY_TABLE, nullable=False),
    )
    if sqlite:
        # A table's key cannot change in place: a new table with the rows of the old.
        location_versions_table("location_versions_by_table", with_table=True)
        op.execute(
            "INSERT INTO location_versions_by_table (location_id, weight)"
            " SELECT location_id, weight FROM location_versions"
        )
        op.drop_table("location_versions")
        op.rename_table("location_versions_by_table", "location_versions")
        for trigger in sqlite_triggers(with_table=True):
            op.execute(trigger)
        return
    op.drop_index(op.f("ix_location_changes_location_id"), table_name="location_changes")
    op.create_index(
        op.f("ix_location_changes_location_id"),
        "location_changes",
        ["location_id"],
        postgresql_include=["weight", "table_name"],
    )
    op.add_column(
        "location_versions",
        sa.Column("table_name", sa.String(length=64), server_default=LEGACY_TABLE, nullable=False),
    )
    op.drop_constraint(op.f("pk_location_versions"), "location_versions", type_="primary")
    op.create_primary_key(
        op.f("pk_location_versions"), "location_versions", ["location_id", "table_name"]
    )
    for function in pg_functions(with_table=True):
        op.execute(function)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        drop_sqlite_triggers()
        location_versions_table("location_versions_by_location", with_table=False)
        op.execute(
            "INSERT INTO location_versions_by_location (location_id, weight)"
            " SELECT location_id, sum(weight) FROM location_versions GROUP BY location_id"
        )
        op.drop_table("location_versions")
        op.rename_table("location_versions_by_location", "location_versions")
        op.drop_column("location_changes", "table_name")
        for trigger in sqlite_triggers(with_table=False):
            op.execute(trigger)
        return
    for function in pg_functions(with_table=False):
        op.execute(function)
    op.drop_constraint(op.f("pk_location_versions"), "location_versions", type_="primary")
    # Each location's rows as one: the sum of its tables' (versions unchanged).
    op.execute(
        "WITH gone AS (DELETE FROM location_versions RETURNING location_id, weight)"
        " INSERT INTO location_versions (location_id, weight)"
        " SELECT location_id, sum(weight) FROM gone GROUP BY location_id"
    )
    op.drop_column("location_versions", "table_name")
    op.create_primary_key(op.f("pk_location_versions"), "location_versions", ["location_id"])
    op.drop_index(op.f("ix_location_changes_location_id"), table_name="location_changes")
    op.drop_column("location_changes", "table_name")
    op.create_index(
        op.f("ix_location_changes_location_id"),
        "location_changes",
        ["location_id"],
        postgresql_include=["weight"],
    )
