"""services catalog and bookings

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_bookings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=255), nullable=False),
        sa.Column("service_location_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("meeting_location", sa.Text(), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_service_bookings_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_bookings")),
    )
    with op.batch_alter_table("service_bookings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_bookings_location_id_start_ms"),
            ["location_id", "start_ms"],
            unique=False,
        )

    op.create_table(
        "services",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("service_category_id", sa.String(length=255), nullable=False),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_services_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_services_location_id_date_added_ms"),
            ["location_id", "date_added_ms"],
            unique=False,
        )
        batch_op.create_index(
            "uq_services_live_slug",
            ["location_id", "slug"],
            unique=True,
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )

    op.create_table(
        "service_segment_staff",
        sa.Column("booking_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=255), nullable=False),
        sa.Column("busy_start_ms", sa.BigInteger(), nullable=False),
        sa.Column("busy_end_ms", sa.BigInteger(), nullable=False),
        sa.Column("occupies", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["service_bookings.id"],
            name=op.f("fk_service_segment_staff_booking_id_service_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", "position", name=op.f("pk_service_segment_staff")),
    )
    with op.batch_alter_table("service_segment_staff", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_segment_staff_busy",
            ["location_id", "staff_id", "busy_start_ms", "busy_end_ms", "occupies", "booking_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("service_segment_staff", schema=None) as batch_op:
        batch_op.drop_index("ix_service_segment_staff_busy")

    op.drop_table("service_segment_staff")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_services_live_slug",
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )
        batch_op.drop_index(batch_op.f("ix_services_location_id_date_added_ms"))

    op.drop_table("services")
    with op.batch_alter_table("service_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_bookings_location_id_start_ms"))

    op.drop_table("service_bookings")
