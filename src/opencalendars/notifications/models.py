"""Calendar notifications: who is told what, on which channel, and when."""

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base


class CalendarNotification(Base):
    __tablename__ = "calendar_notifications"
    __table_args__ = (Index(None, "calendar_id", "date_added_ms"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    calendar_id: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Every other field of the DTO as the client set it.
    fields: Mapped[dict] = mapped_column(JSON)
    date_added_ms: Mapped[int] = mapped_column(BigInteger)
    # Notifications created together keep the order they were sent in.
    position: Mapped[int] = mapped_column(Integer)
    date_updated_ms: Mapped[int] = mapped_column(BigInteger)
