"""Reading and rendering instants at the edge. Storage holds UTC epoch milliseconds only."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def iso_utc_ms(epoch_ms: int) -> str:
    """`dateAdded` / `dateUpdated` style: UTC with milliseconds, e.g. `2024-01-15T10:30:00.000Z`."""
    moment = datetime.fromtimestamp(epoch_ms // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


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
