"""calendars: buffer_reach_ms, the longer of each calendar's buffers, indexed by location (busy-time
reads reach as far as the location's longest buffer, not a whole day)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# As calendars/rules.py and units.py (a migration keeps its own copy of what it computes).
UNIT_MS = {"mins": 60_000, "hours": 3_600_000}
INDEX = "ix_calendars_location_id_buffer_reach_ms"

calendars = sa.table(
    "calendars",
    sa.column("id", sa.String),
    sa.column("settings", sa.JSON),
    sa.column("buffer_reach_ms", sa.BigInteger),
)


def buffer_reach_ms(settings: dict) -> int:
    """The longer of `preBuffer` and `slotBuffer` (with their units), in milliseconds."""
    lengths = [0]
    for field in ("preBuffer", "slotBuffer"):
        value = settings.get(field)
        if value is not None:
            lengths.append(int(value * UNIT_MS.get(settings.get(f"{field}Unit", "mins"), 60_000)))
    return max(lengths)


def upgrade() -> None:
    with op.batch_alter_table("calendars") as table:
        table.add_column(
            sa.Column("buffer_reach_ms", sa.BigInteger(), nullable=False, server_default="0")
        )
    connection = op.get_bind()
    rows = connection.execute(sa.select(calendars.c.id, calendars.c.settings)).all()
    for calendar_id, settings in rows:
        reach = buffer_reach_ms(settings or {})
        if reach:
            connection.execute(
                calendars.update()
                .where(calendars.c.id == calendar_id)
                .values(buffer_reach_ms=reach)
            )
    op.create_index(INDEX, "calendars", ["location_id", "buffer_reach_ms"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="calendars")
    with op.batch_alter_table("calendars") as table:
        table.drop_column("buffer_reach_ms")
