"""Services V2: service locations, the service catalog and service bookings."""

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.appointments.models import FREEING_STATUSES
from opencalendars.db.base import Base, LocationScoped, SoftDeleted, Timestamps


class ServiceLocation(LocationScoped, SoftDeleted, Timestamps, Base):
    __tablename__ = "service_locations"
    __table_args__ = (
        Index(None, "location_id", "date_added_ms"),
        # A slug is unique among a location's live service locations, enforced by the database.
        Index(
            "uq_service_locations_live_slug",
            "location_id",
            "slug",
            unique=True,
            sqlite_where=text("NOT deleted"),
            postgresql_where=text("NOT deleted"),
        ),
        # One default among a location's live service locations, enforced by the database.
        Index(
            "uq_service_locations_live_default",
            "location_id",
            unique=True,
            sqlite_where=text("is_default AND NOT deleted"),
            postgresql_where=text("is_default AND NOT deleted"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(255))
    location_type: Mapped[str] = mapped_column(String(16))  # "offline" or "ask_booker"
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cover_image: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The location's default service location: the oldest live one (PRODUCT §7).
    is_default: Mapped[bool] = mapped_column(Boolean)


class Service(LocationScoped, SoftDeleted, Timestamps, Base):
    """A catalog service. The columns are what lists filter on; the rest of the DTO (durations,
    buffers, payment, staff, variations...) is kept in `settings` as the client set it."""

    __tablename__ = "services"
    __table_args__ = (
        Index(None, "location_id", "date_added_ms"),
        Index(
            "uq_services_live_slug",
            "location_id",
            "slug",
            unique=True,
            sqlite_where=text("NOT deleted"),
            postgresql_where=text("NOT deleted"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(255))
    service_category_id: Mapped[str] = mapped_column(String(255))
    is_private: Mapped[bool] = mapped_column(Boolean)
    settings: Mapped[dict] = mapped_column(JSON)


class ServiceBooking(LocationScoped, SoftDeleted, Timestamps, Base):
    """A booking of one or more services back to back. `segments` holds each service's part as
    booked: service, category, staff, start and end, add-ons, and the buffers it had."""

    __tablename__ = "service_bookings"
    __table_args__ = (Index(None, "location_id", "start_ms"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(255))
    service_location_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    timezone: Mapped[str] = mapped_column(String(64))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    meeting_location: Mapped[str | None] = mapped_column(Text, nullable=True)
    segments: Mapped[list[dict]] = mapped_column(JSON)
    created_by: Mapped[dict] = mapped_column(JSON)

    @property
    def occupies(self) -> bool:
        return not self.deleted and self.status not in FREEING_STATUSES


class ServiceSegmentStaff(Base):
    """One row per service of a booking: whose time it takes, already widened by the service's
    buffers, copied from the booking on every write so that a person's busy time from service
    bookings is one indexed range scan (like `appointment_users`)."""

    __tablename__ = "service_segment_staff"
    __table_args__ = (
        Index(
            "ix_service_segment_staff_busy",
            "location_id",
            "staff_id",
            "busy_start_ms",
            "busy_end_ms",
            "occupies",
            "booking_id",
        ),
    )

    booking_id: Mapped[str] = mapped_column(
        ForeignKey("service_bookings.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[str] = mapped_column(String(255))
    busy_start_ms: Mapped[int] = mapped_column(BigInteger)
    busy_end_ms: Mapped[int] = mapped_column(BigInteger)
    occupies: Mapped[bool] = mapped_column(Boolean)
