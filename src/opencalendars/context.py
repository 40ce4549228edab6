"""The location a request acts for, passed as one value from the edge to the services and the
busy-time readers. The server clock is not part of it: services read it inside their
transaction (`clock.now_ms(session)`), in the same snapshot as the data."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LocationContext:
    """The location a request acts for: its id and its time zone (the zone local times of its
    bodies and answers are read and written in)."""

    location_id: str
    zone: str
