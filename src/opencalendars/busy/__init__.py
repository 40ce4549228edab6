"""Busy time: the one home of "when is this person, calendar or resource busy, and under which
rules" for free slots, appointment booking and service booking alike (docs/architecture.md).

- `rules.py`: a calendar's settings as the engine's slot rules.
- `availability.py`: the hours (member schedules, event-calendar schedules, staff schedules).
- `appointments.py`, `segments.py`, `blocks.py`, `resources.py`, `external.py` (busy time
  synced from people's own calendars): the occupying reads, as plain tuples over indexed ranges.
- `people.py`: the one busy-time picture of some people, and who of them is free.
- `claims.py`: the one lock -> check -> choose pipeline both booking paths go through.

The engine (`availability/`) stays pure below it; the areas ask it, it asks no area's service.
"""
