"""appointments: partial indexes of those lasting over a day (busy reads look back one day in the
busy indexes, not the 31 days an appointment may last, and find the longer ones here)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# As appointments/models.py: LASTS_OVER_A_DAY (a migration keeps its own copy of what it built).
LASTS_OVER_A_DAY = "end_ms - start_ms > 86400000"
INDEXES = {
    ("appointment_users", "ix_appointment_users_long"): [
        "location_id",
        "user_id",
        "start_ms",
        "end_ms",
        "calendar_id",
        "occupies",
        "appointment_id",
    ],
    ("appointments", "ix_appointments_long"): ["location_id", "calendar_id", "start_ms"],
}


def upgrade() -> None:
    for (table, name), columns in INDEXES.items():
        op.create_index(
            name,
            table,
            columns,
            sqlite_where=sa.text(LASTS_OVER_A_DAY),
            postgresql_where=sa.text(LASTS_OVER_A_DAY),
        )


def downgrade() -> None:
    for table, name in INDEXES:
        op.drop_index(name, table_name=table)
