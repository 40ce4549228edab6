"""IANA time zones, from the system database or the `tzdata` package."""

from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

# Files of the zone database that are no zone a client may name: the host's own setting, the
# default rules for POSIX strings, and the placeholder of machines whose zone is not set.
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@cache
def iana_names() -> frozenset[str]:
    """Read once: listing the zone database opens every file in it."""
    return frozenset(available_timezones() - NOT_ZONES) | {"UTC"}


def is_known_zone(name: str) -> bool:
    """Only names listed by the zone database, so no path (`posix/UTC`, `../x`) is ever opened."""
    return name in iana_names()
