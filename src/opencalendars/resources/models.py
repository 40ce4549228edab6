"""Calendar resources (Services V1): rooms and equipment with units shared by calendars."""

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base, LocationScoped, SoftDeleted, Timestamps


class CalendarResource(LocationScoped, SoftDeleted, Timestamps, Base):
    __tablename__ = "calendar_resources"
    __table_args__ = (Index(None, "location_id", "resource_type", "date_added_ms"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(16))  # "equipments" or "rooms"
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    out_of_service: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    calendar_ids: Mapped[list[str]] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(Boolean)


def units_of(resource_type: str, *, quantity: int, out_of_service: int, capacity: int) -> int:
    """How many bookings a resource can serve at once (PRODUCT §4.4)."""
    if resource_type == "equipments":
        return quantity - out_of_service
    return capacity
