"""contacts

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

APPOINTMENTS_BY_CONTACT = "ix_appointments_location_id_contact_id_start_ms"


def upgrade() -> None:
    # Plain ADD COLUMN on both databases; existing locations allow no duplicates.
    op.add_column("locations", sa.Column("country", sa.String(length=2), nullable=True))
    op.add_column(
        "locations",
        sa.Column(
            "allow_duplicate_contacts", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )

    op.create_table(
        "contacts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("first_name_lower", sa.Text(), nullable=False),
        sa.Column("last_name_lower", sa.Text(), nullable=False),
        sa.Column("full_name_lower", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("email_lower", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("address1", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("gender", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("assigned_to", sa.Text(), nullable=True),
        sa.Column("date_of_birth", sa.String(length=10), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("dnd", sa.Boolean(), nullable=False),
        sa.Column("dnd_settings", sa.JSON(), nullable=True),
        sa.Column("inbound_dnd_settings", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("deleted_ms", sa.BigInteger(), nullable=True),
        sa.Column("date_added_ms", sa.BigInteger(), nullable=False),
        sa.Column("date_updated_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_contacts_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contacts_location_id_email_lower"),
            ["location_id", "email_lower"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_location_id_phone"), ["location_id", "phone"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contacts_location_id_date_added_ms_id"),
            ["location_id", "date_added_ms", "id"],
            unique=False,
        )

    op.create_table(
        "contact_tags",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_tags_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "tag", name=op.f("pk_contact_tags")),
    )
    with op.batch_alter_table("contact_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_tags_location_id_tag"), ["location_id", "tag"], unique=False
        )

    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f(APPOINTMENTS_BY_CONTACT),
            ["location_id", "contact_id", "start_ms"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(APPOINTMENTS_BY_CONTACT))
    op.drop_table("contact_tags")
    op.drop_table("contacts")
    with op.batch_alter_table("locations", schema=None) as batch_op:
        batch_op.drop_column("allow_duplicate_contacts")
        batch_op.drop_column("country")
