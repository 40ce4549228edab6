"""Calendar notifications: who is told what, on which channel, and when."""

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped, SoftDeleted, Timestamps


class CalendarNotification(LocationScoped, SoftDeleted, Timestamps, Base):
    __tablename__ = "calendar_notifications"
    __table_args__ = (Index(None, "calendar_id", "date_added_ms"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean)
    # Every other field of the DTO as the client set it.
    fields: Mapped[dict] = mapped_column(JSON)
    # Notifications created together keep the order they were sent in.
    position: Mapped[int] = mapped_column(Integer)
