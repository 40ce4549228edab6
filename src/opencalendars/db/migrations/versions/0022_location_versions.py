"""location versions: every change to a table free slots read adds to its location's version
(db/location_versions.py), which free slots' kept rows are valid for

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
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

# PostgreSQL: statement-level, with the statement's rows as a transition table: one row per
# location a statement changed, however many rows it changed (a bulk insert of 20,000
# appointments adds one). PostgreSQL takes a transition table only on a trigger of one event:
# three of them per table, and one for TRUNCATE, whose rows are not known (every location's
# version moves).
FUNCTIONS = (
    """
    CREATE FUNCTION opencalendars_location_rows_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO location_changes (location_id, weight)
        SELECT DISTINCT location_id, 1 FROM changed_rows;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION opencalendars_location_rows_updated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO location_changes (location_id, weight)
        SELECT location_id, 1 FROM (
            SELECT location_id FROM old_rows UNION SELECT location_id FROM changed_rows
        ) AS touched;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE FUNCTION opencalendars_every_location_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO location_changes (location_id, weight) VALUES ('{EVERY_LOCATION}', 1);
        RETURN NULL;
    END
    $$
    """,
)


def pg_triggers(table: str) -> list[str]:
    statement = "FOR EACH STATEMENT EXECUTE FUNCTION"
    return [
        f"CREATE TRIGGER {table}_location_inserted AFTER INSERT ON {table}"
        f" REFERENCING NEW TABLE AS changed_rows {statement} opencalendars_location_rows_changed()",
        f"CREATE TRIGGER {table}_location_deleted AFTER DELETE ON {table}"
        f" REFERENCING OLD TABLE AS changed_rows {statement} opencalendars_location_rows_changed()",
        f"CREATE TRIGGER {table}_location_updated AFTER UPDATE ON {table}"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows"
        f" {statement} opencalendars_location_rows_updated()",
        f"CREATE TRIGGER {table}_every_location_changed AFTER TRUNCATE ON {table}"
        f" {statement} opencalendars_every_location_changed()",
    ]


def pg_every_location_trigger(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_every_location_changed"
        f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION opencalendars_every_location_changed()"
    )


# SQLite: row-level (it has no other kind), adding 1 to the location's row straight away: one
# writer at a time, so the row makes nobody wait. An update adds to the old row's location too
# when it moved.
def _add_to(location: str, when: str = "") -> str:
    return (
        f"INSERT INTO location_versions (location_id, weight) SELECT {location}, 1 WHERE true{when}"
        " ON CONFLICT (location_id) DO UPDATE SET weight = weight + 1;"
    )


def sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_location_inserted AFTER INSERT ON {table}"
        f" BEGIN {_add_to('NEW.location_id')} END",
        f"CREATE TRIGGER {table}_location_deleted AFTER DELETE ON {table}"
        f" BEGIN {_add_to('OLD.location_id')} END",
        f"CREATE TRIGGER {table}_location_updated AFTER UPDATE ON {table}"
        f" BEGIN {_add_to('NEW.location_id')}"
        f" {_add_to('OLD.location_id', ' AND OLD.location_id IS NOT NEW.location_id')} END",
    ]


def sqlite_every_location_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_every_location_{event.lower()}d AFTER {event} ON {table}"
        f" BEGIN {_add_to(repr(EVERY_LOCATION))} END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def upgrade() -> None:
    op.create_table(
        "location_changes",
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        op.f("ix_location_changes_location_id"),
        "location_changes",
        ["location_id"],
        postgresql_include=["weight"],
    )
    op.create_table(
        "location_versions",
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("location_id", name=op.f("pk_location_versions")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED_TABLES:
            for trigger in sqlite_triggers(table):
                op.execute(trigger)
        for table in EVERY_LOCATION_TABLES:
            for trigger in sqlite_every_location_triggers(table):
                op.execute(trigger)
        return
    for function in FUNCTIONS:
        op.execute(function)
    for table in WATCHED_TABLES:
        for trigger in pg_triggers(table):
            op.execute(trigger)
    for table in EVERY_LOCATION_TABLES:
        op.execute(pg_every_location_trigger(table))


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for function in (
            "opencalendars_location_rows_changed",
            "opencalendars_location_rows_updated",
            "opencalendars_every_location_changed",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}() CASCADE")  # and its triggers
    else:
        triggers = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            " AND sql LIKE '%location_versions%'"
        ).scalars()
        for name in list(triggers):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("location_versions")
    op.drop_index(op.f("ix_location_changes_location_id"), table_name="location_changes")
    op.drop_table("location_changes")
