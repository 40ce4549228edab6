"""The free-slots answer (PRODUCT §4.5): slots by local date, and look busy."""

import hashlib
from datetime import datetime
from functools import lru_cache

from opencalendars.zones import zone as load_zone


@lru_cache(maxsize=65_536)
def local_iso(epoch_ms: int, zone_name: str) -> str:
    """`2024-10-28T10:00:00-05:00`. Cached: a calendar offers the same grid times request after
    request, and formatting one costs more than the rest of its share of the answer."""
    return datetime.fromtimestamp(epoch_ms // 1000, tz=load_zone(zone_name)).isoformat()


def slots_by_date(starts: list[int], zone_name: str) -> dict[str, list[str]]:
    """`{"2024-10-28": ["2024-10-28T10:00:00-05:00", ...]}`: ascending, in `zone_name`."""
    by_date: dict[str, list[str]] = {}
    for start in starts:
        local = local_iso(start, zone_name)
        # `YYYY-MM-DD` leads the local ISO text (years 1-9999 have four digits).
        by_date.setdefault(local[:10], []).append(local)
    return by_date


def look_busy(by_date: dict[str, list[str]], calendar_id: str, percentage: float) -> dict:
    """Hide `percentage`% of each day's slots (rounded down), the same ones on every call:
    those with the smallest hash of (calendar, date, slot)."""
    shown = {}
    for day, slots in by_date.items():
        hidden_count = int(len(slots) * percentage // 100)
        ranked = sorted(slots, key=lambda slot: _stable_hash(calendar_id, day, slot))
        hidden = set(ranked[:hidden_count])
        kept = [slot for slot in slots if slot not in hidden]
        if kept:
            shown[day] = kept
    return shown


def _stable_hash(calendar_id: str, day: str, slot: str) -> bytes:
    return hashlib.sha256(f"{calendar_id}|{day}|{slot}".encode()).digest()


def free_slots_answer(by_date: dict[str, list[str]]) -> dict:
    return {day: {"slots": slots} for day, slots in by_date.items()}
