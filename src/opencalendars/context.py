"""The location a request acts for, passed as one value from the edge to the services and the
busy-time readers. The server clock is not part of it: services read it with their data (in
their transaction, `clock.now_ms(session)`, or in a plan's round, `clock.now()`), so a clock the
admin API moves is seen by the next read, like the data."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LocationContext:
    """The location a request acts for: its id and its time zone (the zone local times of its
    bodies and answers are read and written in)."""

    location_id: str
    zone: str
