"""Plain availability data: local wall-clock intervals by weekday and by date, in a zone."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, order=True)
class LocalInterval:
    """Minutes after local midnight; `end` may be 1440 (24:00)."""

    start: int
    end: int


Intervals = tuple[LocalInterval, ...]


@dataclass(frozen=True)
class Availability:
    """Open hours of one person (or calendar) in one time zone.

    `weekdays[d]` are the intervals of weekday `d` (Python's numbering: 0 = Monday).
    `dates` replace the weekday intervals of those local dates; an empty tuple closes the date.
    """

    zone: str
    weekdays: tuple[Intervals, ...] = ((),) * 7
    dates: Mapping[date, Intervals] = field(default_factory=dict)

    def intervals_on(self, day: date) -> Intervals:
        if day in self.dates:
            return self.dates[day]
        return self.weekdays[day.weekday()]


CLOSED = Availability(zone="UTC")
