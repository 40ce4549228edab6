"""appointments and blocked slots

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("calendar_id", sa.String(length=64), nullable=False),
        sa.Column("assigned_user_id", sa.String(length=255), nullable=True),
        sa.Column("users", sa.JSON(), nullable=False),
        sa.Column("contact_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("rrule", sa.Text(), nullable=True),
        sa.Column("series_end_ms", sa.BigInteger(), nullable=True),
        sa.Column("master_event_id", sa.String(length=64), nullable=True),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_appointments_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointments_location_id_assigned_user_id_start_ms"),
            ["location_id", "assigned_user_id", "start_ms"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_appointments_location_id_calendar_id_start_ms"),
            ["location_id", "calendar_id", "start_ms"],
            unique=False,
        )
        batch_op.create_index(
            "ix_appointments_series",
            ["location_id", "assigned_user_id"],
            unique=False,
            sqlite_where=sa.text("rrule IS NOT NULL"),
            postgresql_where=sa.text("rrule IS NOT NULL"),
        )

    op.create_table(
        "blocked_slots",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("calendar_id", sa.String(length=64), nullable=True),
        sa.Column("assigned_user_id", sa.String(length=255), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_blocked_slots_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_slots")),
    )
    with op.batch_alter_table("blocked_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_blocked_slots_location_id_assigned_user_id_start_ms"),
            ["location_id", "assigned_user_id", "start_ms"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_blocked_slots_location_id_calendar_id_start_ms"),
            ["location_id", "calendar_id", "start_ms"],
            unique=False,
        )

    op.create_table(
        "appointment_notes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("appointment_id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_notes_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_notes")),
    )
    with op.batch_alter_table("appointment_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_notes_appointment_id_date_added_ms"),
            ["appointment_id", "date_added_ms"],
            unique=False,
        )

    op.create_table(
        "appointment_users",
        sa.Column("appointment_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("calendar_id", sa.String(length=64), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("occupies", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_users_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("appointment_id", "user_id", name=op.f("pk_appointment_users")),
    )
    with op.batch_alter_table("appointment_users", schema=None) as batch_op:
        batch_op.create_index(
            "ix_appointment_users_busy",
            [
                "location_id",
                "user_id",
                "start_ms",
                "end_ms",
                "calendar_id",
                "occupies",
                "appointment_id",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("appointment_users", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_users_busy")

    op.drop_table("appointment_users")
    with op.batch_alter_table("appointment_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_notes_appointment_id_date_added_ms"))

    op.drop_table("appointment_notes")
    with op.batch_alter_table("blocked_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocked_slots_location_id_calendar_id_start_ms"))
        batch_op.drop_index(batch_op.f("ix_blocked_slots_location_id_assigned_user_id_start_ms"))

    op.drop_table("blocked_slots")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_appointments_series",
            sqlite_where=sa.text("rrule IS NOT NULL"),
            postgresql_where=sa.text("rrule IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_appointments_location_id_calendar_id_start_ms"))
        batch_op.drop_index(batch_op.f("ix_appointments_location_id_assigned_user_id_start_ms"))

    op.drop_table("appointments")
