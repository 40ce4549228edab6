"""one default service location

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEX = "uq_service_locations_live_default"
LIVE_DEFAULT = sa.text("is_default AND NOT deleted")

places = sa.table(
    "service_locations",
    sa.column("id", sa.String),
    sa.column("location_id", sa.String),
    sa.column("is_default", sa.Boolean),
    sa.column("deleted", sa.Boolean),
    sa.column("date_added_ms", sa.BigInteger),
)


def older_live(other, place):
    """`other` is a live service location of `place`'s location created before it."""
    return sa.and_(
        other.c.location_id == place.c.location_id,
        sa.not_(other.c.deleted),
        sa.or_(
            other.c.date_added_ms < place.c.date_added_ms,
            sa.and_(other.c.date_added_ms == place.c.date_added_ms, other.c.id < place.c.id),
        ),
    )


def repair_defaults() -> None:
    """Before the index, undo what concurrent creates and deletes of older releases left on
    PostgreSQL: of several live defaults the oldest stays, and a location with live service
    locations but no default gets its oldest one (PRODUCT §7)."""
    other = places.alias("other")
    op.execute(
        places.update()
        .where(
            places.c.is_default,
            sa.not_(places.c.deleted),
            sa.exists().where(older_live(other, places), other.c.is_default),
        )
        .values(is_default=False)
    )
    op.execute(
        places.update()
        .where(
            sa.not_(places.c.deleted),
            ~sa.exists().where(
                other.c.location_id == places.c.location_id,
                other.c.is_default,
                sa.not_(other.c.deleted),
            ),
            ~sa.exists().where(older_live(other, places)),
        )
        .values(is_default=True)
    )


def upgrade() -> None:
    repair_defaults()
    with op.batch_alter_table("service_locations", schema=None) as batch_op:
        batch_op.create_index(
            INDEX,
            ["location_id"],
            unique=True,
            sqlite_where=LIVE_DEFAULT,
            postgresql_where=LIVE_DEFAULT,
        )


def downgrade() -> None:
    with op.batch_alter_table("service_locations", schema=None) as batch_op:
        batch_op.drop_index(INDEX, sqlite_where=LIVE_DEFAULT, postgresql_where=LIVE_DEFAULT)
