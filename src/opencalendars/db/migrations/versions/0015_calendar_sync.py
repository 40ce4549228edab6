"""calendar sync: ICS feeds, their event versions, conflict-calendar connections, busy spans

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("calendar_id", sa.String(64), nullable=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("revoked_ms", sa.BigInteger(), nullable=True),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_calendar_feeds_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_calendar_feeds_secret_hash")),
    )
    op.create_index(
        op.f("ix_calendar_feeds_location_id_date_added_ms"),
        "calendar_feeds",
        ["location_id", "date_added_ms"],
    )
    op.create_table(
        "calendar_feed_versions",
        sa.Column("feed_id", sa.String(64), nullable=False),
        sa.Column("component", sa.String(160), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("changed_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["calendar_feeds.id"],
            name=op.f("fk_calendar_feed_versions_feed_id_calendar_feeds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feed_id", "component", name=op.f("pk_calendar_feed_versions")),
    )
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("password_encrypted", sa.Text(), nullable=True),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_synced_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_attempt_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("busy_count", sa.Integer(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("window_end_ms", sa.BigInteger(), nullable=True),
        sa.Column("lease_until_ms", sa.BigInteger(), nullable=True),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_calendar_connections_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_connections")),
    )
    op.create_index(
        op.f("ix_calendar_connections_location_id_user_id"),
        "calendar_connections",
        ["location_id", "user_id"],
    )
    op.create_table(
        "external_busy",
        sa.Column("connection_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["calendar_connections.id"],
            name=op.f("fk_external_busy_connection_id_calendar_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "position", name=op.f("pk_external_busy")),
    )
    op.create_index(
        "ix_external_busy_busy", "external_busy", ["location_id", "user_id", "start_ms", "end_ms"]
    )


def downgrade() -> None:
    op.drop_index("ix_external_busy_busy", table_name="external_busy")
    op.drop_table("external_busy")
    op.drop_index(
        op.f("ix_calendar_connections_location_id_user_id"), table_name="calendar_connections"
    )
    op.drop_table("calendar_connections")
    op.drop_table("calendar_feed_versions")
    op.drop_index(op.f("ix_calendar_feeds_location_id_date_added_ms"), table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
