"""foundation: locations, tokens, clock, calendar groups

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    op.create_table(
        "server_clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frozen_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_clock")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_api_tokens_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_tokens_location_id"), ["location_id"], unique=False
        )

    op.create_table(
        "calendar_groups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_calendar_groups_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_groups")),
    )
    with op.batch_alter_table("calendar_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_groups_location_id_date_added_ms"),
            ["location_id", "date_added_ms"],
            unique=False,
        )
        batch_op.create_index(
            "uq_calendar_groups_live_slug",
            ["location_id", "slug"],
            unique=True,
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_groups", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_calendar_groups_live_slug",
            sqlite_where=sa.text("NOT deleted"),
            postgresql_where=sa.text("NOT deleted"),
        )
        batch_op.drop_index(batch_op.f("ix_calendar_groups_location_id_date_added_ms"))

    op.drop_table("calendar_groups")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_location_id"))

    op.drop_table("api_tokens")
    op.drop_table("server_clock")
    op.drop_table("locations")
