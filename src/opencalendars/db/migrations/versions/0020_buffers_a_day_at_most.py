"""calendars: buffers of more than 24 hours become 24 hours (the most the API now accepts)

Free slots and bookings read other calendars' busy time as far around what they check as any
calendar's buffers reach: a day (calendars/rules.py, MAX_BUFFER_MS). Older releases accepted
buffers of up to 100,000 hours but read only two days around, so a longer buffer was applied near
its appointment and ignored further away. Each one is now exactly a day, applied everywhere.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# As calendars/rules.py and units.py (a migration keeps its own copy of what it changes).
BUFFER_FIELDS = ("preBuffer", "slotBuffer")
UNIT_MINUTES = {"mins": 1, "hours": 60}
DAY_MINUTES = 24 * 60

calendars = sa.table("calendars", sa.column("id", sa.String), sa.column("settings", sa.JSON))


def within_a_day(settings: dict) -> dict | None:
    """`settings` with each buffer over a day set to 24 hours; None when none is."""
    changed = dict(settings)
    for field in BUFFER_FIELDS:
        value = settings.get(field)
        unit = settings.get(f"{field}Unit", "mins")
        if value is not None and value * UNIT_MINUTES.get(unit, 1) > DAY_MINUTES:
            changed[field], changed[f"{field}Unit"] = 24, "hours"
    return changed if changed != settings else None


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(calendars.c.id, calendars.c.settings)).all()
    for calendar_id, settings in rows:
        changed = within_a_day(settings or {})
        if changed is not None:
            connection.execute(
                calendars.update().where(calendars.c.id == calendar_id).values(settings=changed)
            )


def downgrade() -> None:
    # The longer buffers are not kept: a day is what they were applied as nearly everywhere.
    pass
