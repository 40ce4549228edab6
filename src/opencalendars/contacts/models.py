"""Contacts of a location, and the tag index that search reads."""

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.appointments.models import Appointment
from opencalendars.db.base import Base, LocationScoped, SoftDeleted, Timestamps


def full_name_of(first_name: str | None, last_name: str | None) -> str:
    """First and last name joined, as every answer and template shows a contact's name."""
    return " ".join(part for part in (first_name, last_name) if part)


class Contact(LocationScoped, SoftDeleted, Timestamps, Base):
    """A person a location books for. Soft-deleted: a deleted contact answers 404 everywhere,
    but its row stays, so appointments that name it keep their `contactId`.

    The `*_lower` columns are what matching, search and sorting read: never NULL (`""` when the
    field is empty), lower-cased once in Python, so both databases compare the same text."""

    __tablename__ = "contacts"
    __table_args__ = (
        # Duplicate checks, upsert and the duplicate lookup: one index seek each.
        Index(None, "location_id", "email_lower"),
        Index(None, "location_id", "phone"),
        # Search's default order (newest first) and its keyset paging.
        Index(None, "location_id", "date_added_ms", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    first_name_lower: Mapped[str] = mapped_column(Text, default="")
    last_name_lower: Mapped[str] = mapped_column(Text, default="")
    full_name_lower: Mapped[str] = mapped_column(Text, default="")
    # As the client wrote it (for display), and lower-cased (for matching).
    email: Mapped[str | None] = mapped_column(Text, nullable=True)
    email_lower: Mapped[str] = mapped_column(Text, default="")
    # E.164 (`+14155550100`), or None.
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    company_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    address1: Mapped[str | None] = mapped_column(Text, nullable=True)
    city: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str | None] = mapped_column(Text, nullable=True)
    postal_code: Mapped[str | None] = mapped_column(Text, nullable=True)
    # ISO 3166-1 alpha-2, upper case.
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    website: Mapped[str | None] = mapped_column(Text, nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    gender: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)
    assigned_to: Mapped[str | None] = mapped_column(Text, nullable=True)
    # YYYY-MM-DD.
    date_of_birth: Mapped[str | None] = mapped_column(String(10), nullable=True)
    type: Mapped[str] = mapped_column(String(32), default="lead")
    dnd: Mapped[bool] = mapped_column(Boolean, default=False)
    dnd_settings: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    inbound_dnd_settings: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # In the order they were added; `contact_tags` holds the same set, indexed.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"id": ..., "key": ..., "value": ...}], one entry per field id (or key).
    custom_fields: Mapped[list[dict]] = mapped_column(JSON, default=list)
    deleted_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True, default=None)

    @property
    def full_name(self) -> str:
        return full_name_of(self.first_name, self.last_name)


class ContactTag(Base):
    """One row per tag of a contact, written with the contact: search by tag is an index seek
    on (location, tag) rather than a scan of every contact's JSON."""

    __tablename__ = "contact_tags"
    __table_args__ = (Index(None, "location_id", "tag"),)

    contact_id: Mapped[str] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(Text, primary_key=True)
    location_id: Mapped[str] = mapped_column(String(64))


# `GET /contacts/{contactId}/appointments` reads a contact's appointments by this index. It is
# declared here, with the read it serves, rather than in the appointments area, which never
# reads by contact. Led by the contact, not the location: SQLite's planner, without statistics,
# took an index led by location_id for the location-wide read of recurring series and walked
# every appointment of the location (migration 0013).
_appointments = Appointment.__table__.c
Index(
    "ix_appointments_contact_id_location_id_start_ms",
    _appointments.contact_id,
    _appointments.location_id,
    _appointments.start_ms,
)
