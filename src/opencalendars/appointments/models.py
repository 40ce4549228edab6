"""Appointments, and who each one occupies."""

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped, SoftDeleted, Timestamps

# Statuses that do not occupy time (PRODUCT §4.3).
FREEING_STATUSES = ("cancelled", "invalid")
# Appointments longer than a day, which alone can start over a day before a range and still run
# into it: busy reads find them in partial indexes of their own (busy/appointments.py).
LASTS_OVER_A_DAY = "end_ms - start_ms > 86400000"


class Appointment(LocationScoped, SoftDeleted, Timestamps, Base):
    __tablename__ = "appointments"
    __table_args__ = (
        Index(None, "location_id", "calendar_id", "start_ms"),
        Index(None, "location_id", "assigned_user_id", "start_ms"),
        # Round robin's "booked longest ago": the newest booking of one member on one calendar
        # is one index seek, however long the calendar's history. Not led by location_id: SQLite's
        # planner would then take it for the location-wide series read.
        Index(None, "calendar_id", "assigned_user_id", "date_added_ms"),
        # Recurring series are few and may have started long ago: read apart from single ones.
        Index(
            "ix_appointments_series",
            "location_id",
            "assigned_user_id",
            sqlite_where=text("rrule IS NOT NULL"),
            postgresql_where=text("rrule IS NOT NULL"),
        ),
        Index(
            "ix_appointments_long",
            "location_id",
            "calendar_id",
            "start_ms",
            sqlite_where=text(LASTS_OVER_A_DAY),
            postgresql_where=text(LASTS_OVER_A_DAY),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(64))
    assigned_user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    users: Mapped[list[str]] = mapped_column(JSON)
    contact_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    # The wide rest of the appointment as the client set it (address, notes, meeting location...).
    details: Mapped[dict] = mapped_column(JSON)
    # A recurring series: its rule, and when its last occurrence ends (None: never). Its start
    # and end are the first occurrence's; `details["exceptions"]` lists starts taken out of it.
    rrule: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    series_end_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True, default=None)
    # An occurrence edited on its own is stored as an appointment of its own, under its id.
    master_event_id: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)

    @property
    def occupies(self) -> bool:
        return not self.deleted and self.status not in FREEING_STATUSES

    @property
    def is_series(self) -> bool:
        return self.rrule is not None

    @property
    def exceptions(self) -> frozenset[int]:
        return frozenset(self.details.get("exceptions", []))

    @property
    def people(self) -> list[str]:
        """The assigned user and everyone in `users`, once each."""
        assigned = [self.assigned_user_id] if self.assigned_user_id else []
        return list(dict.fromkeys([*assigned, *self.users]))


# A person's busy times, read from an index alone (covering).
BUSY_COLUMNS = (
    "location_id",
    "user_id",
    "start_ms",
    "end_ms",
    "calendar_id",
    "occupies",
    "appointment_id",
)


class AppointmentUser(Base):
    """One row per person an appointment occupies, copied from it on every write, so that a
    person's busy time across all calendars is one indexed range scan."""

    __tablename__ = "appointment_users"
    __table_args__ = (
        Index("ix_appointment_users_busy", *BUSY_COLUMNS),
        Index(
            "ix_appointment_users_long",
            *BUSY_COLUMNS,
            sqlite_where=text(LASTS_OVER_A_DAY),
            postgresql_where=text(LASTS_OVER_A_DAY),
        ),
    )

    appointment_id: Mapped[str] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    location_id: Mapped[str] = mapped_column(String(64))
    calendar_id: Mapped[str] = mapped_column(String(64))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    occupies: Mapped[bool] = mapped_column(Boolean)


class AppointmentNote(Timestamps, Base):
    __tablename__ = "appointment_notes"
    __table_args__ = (Index(None, "appointment_id", "date_added_ms"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    appointment_id: Mapped[str] = mapped_column(ForeignKey("appointments.id"))
    location_id: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    body: Mapped[str] = mapped_column(Text)
