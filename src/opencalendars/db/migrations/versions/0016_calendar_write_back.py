"""calendar write-back: a connection's write-back calendar, and the events written there
(and a CalDAV connection's calendars' ctags at its last full read)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-13
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_connections") as table:
        table.add_column(sa.Column("write_back_url", sa.Text(), nullable=True))
        table.add_column(sa.Column("last_write_back_ms", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("last_write_back_error", sa.Text(), nullable=True))
        table.add_column(sa.Column("caldav_ctags", sa.Text(), nullable=True))
    op.create_table(
        "calendar_written_events",
        sa.Column("connection_id", sa.String(64), nullable=False),
        sa.Column("appointment_id", sa.String(128), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("written_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["calendar_connections.id"],
            name=op.f("fk_calendar_written_events_connection_id_calendar_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "appointment_id", name=op.f("pk_calendar_written_events")
        ),
    )
    op.create_index(
        op.f("ix_calendar_written_events_appointment_id"),
        "calendar_written_events",
        ["appointment_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_calendar_written_events_appointment_id"), table_name="calendar_written_events"
    )
    op.drop_table("calendar_written_events")
    with op.batch_alter_table("calendar_connections") as table:
        table.drop_column("caldav_ctags")
        table.drop_column("last_write_back_error")
        table.drop_column("last_write_back_ms")
        table.drop_column("write_back_url")
