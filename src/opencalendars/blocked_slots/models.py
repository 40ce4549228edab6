"""Blocked slots: time taken away from a calendar or from one user everywhere."""

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped, SoftDeleted, Timestamps


class BlockedSlot(LocationScoped, SoftDeleted, Timestamps, Base):
    __tablename__ = "blocked_slots"
    __table_args__ = (
        Index(None, "location_id", "calendar_id", "start_ms"),
        Index(None, "location_id", "assigned_user_id", "start_ms"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Exactly one of the two is set: a calendar-level or a user-level block.
    calendar_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assigned_user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    title: Mapped[str] = mapped_column(Text)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
