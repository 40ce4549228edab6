"""marketplace apps: companies, apps, installs, codes, refresh tokens; server keys

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# One live install of an app per location, and per company (marketplace/models.py).
LIVE_ON_LOCATION = "uninstalled_ms IS NULL AND location_id IS NOT NULL"
LIVE_ON_COMPANY = "uninstalled_ms IS NULL AND location_id IS NULL"


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
    )
    with op.batch_alter_table("locations") as batch:
        batch.add_column(sa.Column("company_id", sa.String(64), nullable=True))
        batch.create_index(batch.f("ix_locations_company_id"), ["company_id"])
    op.create_table(
        "apps",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(96), nullable=False),
        sa.Column("client_secret_hash", sa.String(64), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("distribution", sa.String(16), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apps")),
        sa.UniqueConstraint("client_id", name=op.f("uq_apps_client_id")),
    )
    op.create_table(
        "app_installs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=True),
        sa.Column("location_id", sa.String(64), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("installed_ms", sa.BigInteger(), nullable=False),
        sa.Column("uninstalled_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_app_installs_app_id_apps")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_installs")),
    )
    op.create_index(
        op.f("ix_app_installs_app_id_location_id"), "app_installs", ["app_id", "location_id"]
    )
    op.create_index(
        op.f("ix_app_installs_app_id_company_id"), "app_installs", ["app_id", "company_id"]
    )
    for name, where in (
        ("uq_app_installs_live_location", LIVE_ON_LOCATION),
        ("uq_app_installs_live_company", LIVE_ON_COMPANY),
    ):
        column = "location_id" if name.endswith("location") else "company_id"
        op.create_index(
            name,
            "app_installs",
            ["app_id", column],
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )
    op.create_table(
        "oauth_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("install_id", sa.String(64), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.Column("used_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["install_id"], ["app_installs.id"], name=op.f("fk_oauth_codes_install_id_app_installs")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_oauth_codes")),
    )
    op.create_table(
        "oauth_refresh_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("install_id", sa.String(64), nullable=False),
        sa.Column("user_type", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.Column("used_ms", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["install_id"],
            ["app_installs.id"],
            name=op.f("fk_oauth_refresh_tokens_install_id_app_installs"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_oauth_refresh_tokens")),
    )
    op.create_index(
        op.f("ix_oauth_refresh_tokens_install_id"), "oauth_refresh_tokens", ["install_id"]
    )
    # Secrets made once and shared by every process (keys.py): the access tokens' key first.
    op.create_table(
        "server_keys",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_keys")),
    )
    # App webhooks of an agency install concern a company, not a location.
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("location_id", existing_type=sa.String(64), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("location_id", existing_type=sa.String(64), nullable=False)
    op.drop_table("server_keys")
    op.drop_index(op.f("ix_oauth_refresh_tokens_install_id"), "oauth_refresh_tokens")
    op.drop_table("oauth_refresh_tokens")
    op.drop_table("oauth_codes")
    op.drop_index("uq_app_installs_live_company", "app_installs")
    op.drop_index("uq_app_installs_live_location", "app_installs")
    op.drop_index(op.f("ix_app_installs_app_id_company_id"), "app_installs")
    op.drop_index(op.f("ix_app_installs_app_id_location_id"), "app_installs")
    op.drop_table("app_installs")
    op.drop_table("apps")
    with op.batch_alter_table("locations") as batch:
        batch.drop_index(batch.f("ix_locations_company_id"))
        batch.drop_column("company_id")
    op.drop_table("companies")
