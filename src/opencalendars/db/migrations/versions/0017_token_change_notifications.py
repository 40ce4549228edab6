"""token change notifications: on PostgreSQL, a change to api_tokens or locations notifies
every process's token cache (admin/tokens.py)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Statement-level: one notification per statement, sent when its transaction commits (none when
# it rolls back). Every way a token's row can change is covered, the admin API's and an
# operator's own SQL alike: a revocation, a deletion, a location's zone, a TRUNCATE.
TABLES = ("api_tokens", "locations")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: the token lookup is not cached (admin/tokens.py)
    op.execute(
        """
        CREATE FUNCTION opencalendars_tokens_changed() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('opencalendars_tokens', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify_tokens AFTER UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION opencalendars_tokens_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_tokens ON {table}")
    op.execute("DROP FUNCTION IF EXISTS opencalendars_tokens_changed()")
