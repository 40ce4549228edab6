"""service locations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_locations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("location_type", sa.String(length=16), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("cover_image", sa.Text(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_service_locations_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_locations")),
    )
    with op.batch_alter_table("service_locations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_locations_location_id_date_added_ms"),
            ["location_id", "date_added_ms"],
            unique=False,
        )
        batch_op.create_index(
            "uq_service_locations_live_slug",
            ["location_id", "slug"],
            unique=True,
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )


def downgrade() -> None:
    with op.batch_alter_table("service_locations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_service_locations_live_slug",
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )
        batch_op.drop_index(batch_op.f("ix_service_locations_location_id_date_added_ms"))

    op.drop_table("service_locations")
