"""Small query helpers every area shares."""

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from opencalendars.http.errors import NotFound


def one_or_not_found(session: Session, query: Select, message: str) -> Any:
    """The row `query` selects, or the 404 `message`. Queries are scoped to the caller's
    location, so another location's row answers exactly like an unknown id (PRODUCT §2)."""
    row = session.scalar(query)
    if row is None:
        raise NotFound(message)
    return row


def apply_given(row: Any, dto: Any, columns: dict[str, str]) -> None:
    """A partial update: each DTO field (key) the client gave sets its column (value)."""
    for field, attribute in columns.items():
        value = getattr(dto, field)
        if value is not None:
            setattr(row, attribute, value)
