"""calendar resources and notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_notifications",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("calendar_id", sa.String(length=64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_calendar_notifications_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_notifications")),
    )
    with op.batch_alter_table("calendar_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_notifications_calendar_id_date_added_ms"),
            ["calendar_id", "date_added_ms"],
            unique=False,
        )

    op.create_table(
        "calendar_resources",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("out_of_service", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("calendar_ids", sa.JSON(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_calendar_resources_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_resources")),
    )
    with op.batch_alter_table("calendar_resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_resources_location_id_resource_type_date_added_ms"),
            ["location_id", "resource_type", "date_added_ms"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_resources", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_calendar_resources_location_id_resource_type_date_added_ms")
        )

    op.drop_table("calendar_resources")
    with op.batch_alter_table("calendar_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_notifications_calendar_id_date_added_ms"))

    op.drop_table("calendar_notifications")
