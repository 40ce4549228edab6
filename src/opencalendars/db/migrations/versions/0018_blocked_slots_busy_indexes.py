"""blocked slots: covering indexes for the busy-time read, led by end_ms (a range scan over
the blocks still to end, not over a calendar's or person's whole history)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_blocked_slots_busy_calendar": [
        "location_id",
        "calendar_id",
        "end_ms",
        "start_ms",
        "deleted",
    ],
    "ix_blocked_slots_busy_user": [
        "location_id",
        "assigned_user_id",
        "end_ms",
        "start_ms",
        "deleted",
    ],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "blocked_slots", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="blocked_slots")
