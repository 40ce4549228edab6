"""Blocked slots: time taken away from a calendar or from one user everywhere."""

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped, SoftDeleted, Timestamps


class BlockedSlot(LocationScoped, SoftDeleted, Timestamps, Base):
    __tablename__ = "blocked_slots"
    __table_args__ = (
        Index(None, "location_id", "calendar_id", "start_ms"),
        Index(None, "location_id", "assigned_user_id", "start_ms"),
        # Busy time (busy/blocks.py): a range scan over the blocks that end after the range
        # starts, covering. Led by start_ms, the scan would walk every block of the calendar's
        # or person's history, however old; led by end_ms, only those still to end.
        Index(
            "ix_blocked_slots_busy_calendar",
            "location_id",
            "calendar_id",
            "end_ms",
            "start_ms",
            "deleted",
        ),
        Index(
            "ix_blocked_slots_busy_user",
            "location_id",
            "assigned_user_id",
            "end_ms",
            "start_ms",
            "deleted",
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Exactly one of the two is set: a calendar-level or a user-level block.
    calendar_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    assigned_user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    title: Mapped[str] = mapped_column(Text)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
