"""Services V2: service locations (where services are given)."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base


class ServiceLocation(Base):
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
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    name: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(255))
    location_type: Mapped[str] = mapped_column(String(16))  # "offline" or "ask_booker"
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cover_image: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The location's default service location: the oldest live one (PRODUCT §7).
    is_default: Mapped[bool] = mapped_column(Boolean)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    date_added_ms: Mapped[int] = mapped_column(BigInteger)
    date_updated_ms: Mapped[int] = mapped_column(BigInteger)
