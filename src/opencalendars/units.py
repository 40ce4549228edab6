"""Lengths of time as the API and the settings name their units: the one table of conversions.

`mins`/`hours` are a calendar's and a service's units, `minutes`/`days` a notification's offsets,
`ms`/`s`/`m`/`h` those of `OPENCALENDARS_RATE_LIMITS`. A day here is 24 hours: where the API
means a local calendar day (booking windows, notice in days) the engine counts local dates.
"""

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS

UNIT_MS = {
    "ms": 1,
    "s": 1000,
    "m": MINUTE_MS,
    "mins": MINUTE_MS,
    "minutes": MINUTE_MS,
    "h": HOUR_MS,
    "hours": HOUR_MS,
    "days": DAY_MS,
}


def to_ms(amount: float, unit: str) -> int:
    """`amount` of `unit` in milliseconds (KeyError for a unit not in `UNIT_MS`)."""
    return int(amount * UNIT_MS[unit])
