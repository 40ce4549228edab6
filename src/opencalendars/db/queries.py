"""Small query helpers every area shares."""

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from opencalendars.errors import NotFound


def for_change(query: Select) -> Select:
    """The rows a read-modify-write is about to change, locked (`SELECT … FOR UPDATE`) and read
    afresh. A concurrent writer of the same row waits for this transaction to end and then
    reads its result: PostgreSQL's READ COMMITTED re-checks the WHERE clause on the newest
    version of a locked row, so a row deleted (or cancelled) meanwhile is simply not found, and
    the second writer never writes from a stale copy. SQLite renders no lock clause: its write
    transactions (`BEGIN IMMEDIATE`) already take turns."""
    return query.with_for_update().execution_options(populate_existing=True)


def live(model: Any, location_id: str) -> Select:
    """A location's rows of `model` that are not (soft) deleted: what every area reads and what
    its ids can name. Another location's rows are simply not there (PRODUCT §2)."""
    return select(model).where(model.location_id == location_id, model.deleted.is_(False))


def get_live(
    session: Session,
    model: Any,
    location_id: str,
    *,
    row_id: str,
    message: str,
    to_change: bool = False,
) -> Any:
    """The location's live row of `model` with this id, or the 404 `message` (`to_change`: locked
    for a read-modify-write, `for_change`)."""
    query = live(model, location_id).where(model.id == row_id)
    return one_or_not_found(session, query, message, to_change=to_change)


def one_or_not_found(
    session: Session, query: Select, message: str, *, to_change: bool = False
) -> Any:
    """The row `query` selects, or the 404 `message`. Queries are scoped to the caller's
    location, so another location's row answers exactly like an unknown id (PRODUCT §2).
    `to_change`: the caller is about to change the row (`for_change`)."""
    row = session.scalar(for_change(query) if to_change else query)
    if row is None:
        raise NotFound(message)
    return row


def apply_given(row: Any, dto: Any, columns: dict[str, str]) -> None:
    """A partial update: each DTO field (key) the client gave sets its column (value)."""
    for field, attribute in columns.items():
        value = getattr(dto, field)
        if value is not None:
            setattr(row, attribute, value)
