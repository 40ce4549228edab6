"""the appointments-by-contact index led by the contact

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD = "ix_appointments_location_id_contact_id_start_ms"
NEW = "ix_appointments_contact_id_location_id_start_ms"


def upgrade() -> None:
    # Led by location_id, SQLite's planner (no statistics) chose it for the location-wide read
    # of recurring series over the partial series index, and walked every appointment of the
    # location on each free-slots read and booking. Led by the contact, it serves only its read.
    op.create_index(NEW, "appointments", ["contact_id", "location_id", "start_ms"])
    op.drop_index(OLD, table_name="appointments")


def downgrade() -> None:
    op.create_index(OLD, "appointments", ["location_id", "contact_id", "start_ms"])
    op.drop_index(NEW, table_name="appointments")
