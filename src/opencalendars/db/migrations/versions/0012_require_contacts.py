"""locations require contacts

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Locations that exist before contacts do keep booking for any contact id (their clients'
    # ids live in another system); locations created from now on require a live contact: the
    # model's default, not the column's.
    op.add_column(
        "locations",
        sa.Column("require_contacts", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.drop_column("require_contacts")
