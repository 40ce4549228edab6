"""The declarative base shared by every area's tables."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LocationScoped:
    """A row of one location (tenant): every read of it names the location (PRODUCT §2)."""

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))


class SoftDeleted:
    """Deleting keeps the row (its id stays in events, webhooks and other rows) but it is never
    read as live again (`db.queries.live`)."""

    deleted: Mapped[bool] = mapped_column(Boolean, default=False)


class Timestamps:
    """When the row was added and last changed, on the server clock (UTC epoch ms)."""

    date_added_ms: Mapped[int] = mapped_column(BigInteger)
    date_updated_ms: Mapped[int] = mapped_column(BigInteger)
