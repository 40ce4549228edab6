"""User availability schedules, their calendar associations, and event-calendar schedules."""

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped, Timestamps


class Schedule(LocationScoped, Timestamps, Base):
    __tablename__ = "schedules"
    __table_args__ = (Index(None, "location_id", "user_id", "date_added_ms"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    rules: Mapped[list] = mapped_column(JSON)


class ScheduleCalendar(Base):
    """A schedule applies to a calendar. A user has at most one schedule per calendar: the
    unique constraint makes "associate" a move, even between concurrent requests."""

    __tablename__ = "schedule_calendars"
    __table_args__ = (
        UniqueConstraint("location_id", "user_id", "calendar_id"),
        Index(None, "calendar_id"),
    )

    schedule_id: Mapped[str] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True
    )
    calendar_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(255))
    date_added_ms: Mapped[int] = mapped_column(BigInteger)


class EventCalendarSchedule(LocationScoped, Timestamps, Base):
    """The availability of an `event` calendar itself (one per calendar)."""

    __tablename__ = "event_calendar_schedules"

    calendar_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    rules: Mapped[list] = mapped_column(JSON)
