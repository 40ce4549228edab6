"""calendars and schedules

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("calendar_type", sa.String(length=32), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("widget_slug", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_calendars_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
    )
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendars_location_id_date_added_ms"),
            ["location_id", "date_added_ms"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_calendars_location_id_group_id"),
            ["location_id", "group_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_calendars_live_slug",
            ["location_id", "slug"],
            unique=True,
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )
        batch_op.create_index(
            "uq_calendars_live_widget_slug",
            ["location_id", "widget_slug"],
            unique=True,
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )

    op.create_table(
        "event_calendar_schedules",
        sa.Column("calendar_id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_event_calendar_schedules_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("calendar_id", name=op.f("pk_event_calendar_schedules")),
    )
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_schedules_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedules_location_id_user_id_date_added_ms"),
            ["location_id", "user_id", "date_added_ms"],
            unique=False,
        )

    op.create_table(
        "schedule_calendars",
        sa.Column("schedule_id", sa.String(length=64), nullable=False),
        sa.Column("calendar_id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_calendars_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("schedule_id", "calendar_id", name=op.f("pk_schedule_calendars")),
        sa.UniqueConstraint(
            "location_id",
            "user_id",
            "calendar_id",
            name=op.f("uq_schedule_calendars_location_id_user_id_calendar_id"),
        ),
    )
    with op.batch_alter_table("schedule_calendars", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedule_calendars_calendar_id"), ["calendar_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("schedule_calendars", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedule_calendars_calendar_id"))

    op.drop_table("schedule_calendars")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedules_location_id_user_id_date_added_ms"))

    op.drop_table("schedules")
    op.drop_table("event_calendar_schedules")
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_calendars_live_widget_slug",
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )
        batch_op.drop_index(
            "uq_calendars_live_slug",
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )
        batch_op.drop_index(batch_op.f("ix_calendars_location_id_group_id"))
        batch_op.drop_index(batch_op.f("ix_calendars_location_id_date_added_ms"))

    op.drop_table("calendars")
