"""Calendars: queried columns, and the wide settings of CalendarDTO in one JSON column."""

from sqlalchemy import JSON, BigInteger, Boolean, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped, SoftDeleted, Timestamps


class Calendar(LocationScoped, SoftDeleted, Timestamps, Base):
    __tablename__ = "calendars"
    __table_args__ = (
        Index(None, "location_id", "date_added_ms"),
        Index(None, "location_id", "group_id"),
        # The most any calendar of a location keeps free around its appointments: one seek.
        Index(None, "location_id", "buffer_reach_ms"),
        # Slugs are unique among a location's live calendars, enforced by the database
        # so that concurrent creates cannot both take one.
        Index(
            "uq_calendars_live_slug",
            "location_id",
            "slug",
            unique=True,
            sqlite_where=text("NOT deleted"),
            postgresql_where=text("NOT deleted"),
        ),
        Index(
            "uq_calendars_live_widget_slug",
            "location_id",
            "widget_slug",
            unique=True,
            sqlite_where=text("NOT deleted"),
            postgresql_where=text("NOT deleted"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    name: Mapped[str] = mapped_column(Text)
    calendar_type: Mapped[str] = mapped_column(String(32))
    slug: Mapped[str] = mapped_column(String(255))
    widget_slug: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean)
    # Every other CalendarDTO field as the client set it (defaults are filled in on read).
    settings: Mapped[dict] = mapped_column(JSON)
    # The longer of the settings' preBuffer and slotBuffer, in milliseconds (calendars/rules.py,
    # `buffer_reach_ms`): how far this calendar's appointments keep its members busy beyond
    # their own span, which every busy-time read of the location must reach (busy/rules.py).
    buffer_reach_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
