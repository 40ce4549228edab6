"""Reading and rendering instants at the edge. Storage holds UTC epoch milliseconds only."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from opencalendars.http.errors import BadRequest


def iso_utc_ms(epoch_ms: int) -> str:
    """`dateAdded` / `dateUpdated` style: UTC with milliseconds, e.g. `2024-01-15T10:30:00.000Z`."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def iso_local(epoch_ms: int, zone: ZoneInfo) -> str:
    """Appointment and block times: ISO 8601 with the zone's offset, to the second."""
    return datetime.fromtimestamp(epoch_ms // 1000, tz=UTC).astimezone(zone).isoformat()


def parse_instant_ms(value: int | float | str, zone: ZoneInfo) -> int:
    """An instant given as epoch milliseconds or ISO 8601.

    An ISO time without an offset is a wall-clock time in `zone`; Python's `fold=0`
    reading moves a nonexistent time (spring forward) forward by the gap and takes the
    first of two ambiguous ones (fall back). Raises ValueError for anything else.
    """
    if isinstance(value, bool):
        raise ValueError("not an instant")
    if isinstance(value, int | float):
        return int(value)
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp() * 1000)


def body_instant_ms(field: str, value: int | float | str, zone: ZoneInfo) -> int:
    """An instant from a request body, or a 400 naming the field."""
    try:
        return parse_instant_ms(value, zone)
    except ValueError:
        raise BadRequest(
            [f"{field} must be an ISO 8601 time (2021-06-23T03:30:00+05:30) or epoch milliseconds"]
        ) from None


def epoch_ms_text(text: str) -> int | None:
    """`1772427600000`, or `1772427600000.0` as clients typed with floats send it; else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def query_epoch_ms(field: str, value: str) -> int:
    """A query-string instant: epoch milliseconds only (PRODUCT §1)."""
    parsed = epoch_ms_text(value.strip())
    if parsed is None:
        raise BadRequest([f"{field} must be epoch milliseconds"])
    return parsed
