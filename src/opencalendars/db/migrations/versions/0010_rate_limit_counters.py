"""rate limit counters

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # UNLOGGED on PostgreSQL: counters need no write-ahead log (a crash empties the table, which
    # only gives tokens a fresh window). On SQLite the table stays empty: the counters live in a
    # sidecar file beside the database (http/rate_counters.py).
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "rate_limit_counters",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("window_start_ms", sa.BigInteger(), nullable=False),
        sa.Column("window_end_ms", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("token_id", "period", name=op.f("pk_rate_limit_counters")),
        prefixes=["UNLOGGED"] if postgres else [],
    )


def downgrade() -> None:
    op.drop_table("rate_limit_counters")
