"""Calendar groups."""

from sqlalchemy import Boolean, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped, SoftDeleted, Timestamps


class CalendarGroup(LocationScoped, SoftDeleted, Timestamps, Base):
    __tablename__ = "calendar_groups"
    __table_args__ = (
        Index(None, "location_id", "date_added_ms"),
        # A slug is unique among a location's live groups; the database enforces it so
        # that two concurrent creates cannot both win.
        Index(
            "uq_calendar_groups_live_slug",
            "location_id",
            "slug",
            unique=True,
            sqlite_where=text("NOT deleted"),
            postgresql_where=text("NOT deleted"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean)
