"""Reading and rendering instants at the edge. Storage holds UTC epoch milliseconds only."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainValidator
from pydantic_core import PydanticCustomError

from opencalendars.errors import BadRequest

INSTANT_FORMS = "an ISO 8601 time (2021-06-23T03:30:00+05:30) or epoch milliseconds"

# Instants a request may name: 1900-01-01T00:00:00Z up to, not including, 9000-01-01T00:00:00Z.
# Python's dates end with the year 9999, and what is computed from a requested instant (margins
# of days, a 31-day range, zone offsets, a booking window of up to 10,000 months after the clock,
# which is set by such an instant too) must still be a date: the 999 years left hold the 834 of
# the longest window. Nothing is scheduled before 1900.
MIN_EPOCH_MS = -2_208_988_800_000  # 1900-01-01T00:00:00Z
MAX_EPOCH_MS = 221_845_391_999_999  # 8999-12-31T23:59:59.999Z
FIRST_DAY = date(1900, 1, 1)
END_DAY = date(9000, 1, 1)

# Numbers that are no date at all (outside the years 1 to 9999) are not instants.
_DATES_START_MS = -62_135_596_800_000
_DATES_END_MS = 253_402_300_800_000


class OutOfRange(ValueError):
    """A well-formed instant outside the accepted range; `message` says which side."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def in_range(epoch_ms: int) -> int:
    if not _DATES_START_MS <= epoch_ms < _DATES_END_MS:
        raise ValueError("outside the years 1 to 9999")
    if epoch_ms < MIN_EPOCH_MS:
        raise OutOfRange("must not be before 1900-01-01T00:00:00Z")
    if epoch_ms > MAX_EPOCH_MS:
        raise OutOfRange("must be before 9000-01-01T00:00:00Z")
    return epoch_ms


def checked_day(field: str, day: date) -> date:
    """A calendar date a request names (free-slot ranges) in the same years, or a 400."""
    if day < FIRST_DAY:
        raise BadRequest([f"{field} must not be before 1900-01-01"])
    if day >= END_DAY:
        raise BadRequest([f"{field} must be before 9000-01-01"])
    return day


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
        if isinstance(value, float) and not value.is_integer():
            raise ValueError("not whole milliseconds")
        return in_range(int(value))
    text = value.strip()
    if text.lstrip("-").isdigit():
        return in_range(int(text))
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return in_range(int(moment.timestamp() * 1000))


def body_instant_ms(field: str, value: int | float | str, zone: ZoneInfo) -> int:
    """An instant from a request body, or a 400 naming the field."""
    try:
        return parse_instant_ms(value, zone)
    except OutOfRange as error:
        raise BadRequest([f"{field} {error.message}"]) from None
    except ValueError:
        raise BadRequest([f"{field} must be {INSTANT_FORMS}"]) from None


@dataclass(frozen=True)
class BodyTimes:
    """A body's `startTime` and `endTime` as instants (None: not given), read at the edge so
    that services work with instants only."""

    start_ms: int | None
    end_ms: int | None


def body_times(body, zone: ZoneInfo) -> BodyTimes:
    """`startTime` and `endTime` of a body, times without an offset read in `zone`."""
    return BodyTimes(
        None if body.startTime is None else body_instant_ms("startTime", body.startTime, zone),
        None if body.endTime is None else body_instant_ms("endTime", body.endTime, zone),
    )


def epoch_ms_text(text: str) -> int | None:
    """`1772427600000`, or `1772427600000.0` as clients typed with floats send it, within the
    years 1 to 9999; else None. Callers check the accepted range with `checked_epoch_ms`."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not value.is_integer() or not _DATES_START_MS <= value < _DATES_END_MS:
        return None
    return int(value)


def checked_epoch_ms(field: str, epoch_ms: int) -> int:
    """An instant within the accepted range, or a 400 naming the field."""
    try:
        return in_range(epoch_ms)
    except OutOfRange as error:
        raise BadRequest([f"{field} {error.message}"]) from None


def query_epoch_ms(field: str, value: str) -> int:
    """A query-string instant: epoch milliseconds only (PRODUCT §1)."""
    parsed = epoch_ms_text(value.strip())
    if parsed is None:
        raise BadRequest([f"{field} must be epoch milliseconds"])
    return checked_epoch_ms(field, parsed)


def _instant_shape(value: object) -> int | float | str:
    """Bodies carry instants as text or numbers; which one is read later, in the right zone."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PydanticCustomError("instant_type", "Input should be an instant")
    return value


Instant = Annotated[int | float | str, PlainValidator(_instant_shape)]
