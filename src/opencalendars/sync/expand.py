"""An external calendar's events as busy spans over a window (docs/calendar-sync.md).

Recurring events are expanded with `recurring-ical-events` (RRULE, RDATE, EXDATE and
overriding RECURRENCE-ID occurrences). Not busy: `TRANSP:TRANSPARENT`, `STATUS:CANCELLED`,
Outlook's `X-MICROSOFT-CDO-BUSYSTATUS:FREE`, and events without length. All-day events and
floating times are read in the user's zone. Busy spans are clipped to the window, merged, and
cut into pieces of at most `MAX_SPAN_MS` (busy/external.py reads them with that look-back).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from opencalendars.sync.models import MAX_SPAN_MS

# At most this many busy occurrences are read from one connection's window: beyond it the sync
# fails (with that reason) and the last good copy is kept.
MAX_OCCURRENCES = 20_000
# Expanded a slice of the window at a time.
SLICE_MS = 31 * 24 * 3_600_000


class SyncFailed(Exception):
    """A sync that cannot finish: the message is what `lastError` says."""


@dataclass(frozen=True)
class Busy:
    spans: list[tuple[int, int]]  # merged, cut, ascending
    occurrences: int  # busy occurrences found in the window


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _instant(value: date | datetime, zone: ZoneInfo) -> int:
    """A DTSTART/DTEND value as an instant: a date is its midnight in `zone`, a floating time
    is read in `zone`."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return _epoch_ms(value)


def _is_busy(event: icalendar.Component) -> bool:
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    return str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() != "FREE"


def _span(event: icalendar.Component, zone: ZoneInfo) -> tuple[int, int] | None:
    start = event.get("DTSTART")
    if start is None:
        return None
    start_value = start.dt
    end = event.get("DTEND")
    if end is not None:
        end_value = end.dt
    elif event.get("DURATION") is not None:
        end_value = start_value + event["DURATION"].dt
    elif isinstance(start_value, datetime):
        end_value = start_value  # RFC 5545: no length
    else:
        end_value = start_value + timedelta(days=1)  # RFC 5545: one day
    begin, finish = _instant(start_value, zone), _instant(end_value, zone)
    return (begin, finish) if finish > begin else None


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _cut(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    pieces = []
    for start, end in spans:
        while end - start > MAX_SPAN_MS:
            pieces.append((start, start + MAX_SPAN_MS))
            start += MAX_SPAN_MS
        pieces.append((start, end))
    return pieces


def parse_calendar(text: str) -> icalendar.Calendar:
    try:
        return icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError, TypeError) as error:
        raise SyncFailed(f"the calendar is not valid iCalendar (RFC 5545): {error}") from None


def busy_spans(
    texts: list[str],
    zone_name: str,
    window: tuple[int, int],
    *,
    ignored_uids: frozenset[str] = frozenset(),
) -> Busy:
    """The busy time of the events in these iCalendar documents (one per CalDAV resource, or
    one whole ICS file) within `window` (epoch ms), but for the events whose UID is in
    `ignored_uids` (the user's own appointments written back there). The window is expanded a
    slice at a time, so a series that recurs every minute fails at the cap after one slice, not
    after a year."""
    zone = ZoneInfo(zone_name)
    low, high = window
    spans: list[tuple[int, int]] = []
    seen: set[tuple[str, int]] = set()  # an occurrence overlapping two slices counts once
    for text in texts:
        calendar = parse_calendar(text)
        try:
            query = recurring_ical_events.of(calendar, skip_bad_series=True)
            for slice_low in range(low, high, SLICE_MS):
                slice_high = min(slice_low + SLICE_MS, high)
                for event in query.between(_utc(slice_low), _utc(slice_high)):
                    if not _is_busy(event) or str(event.get("UID", "")) in ignored_uids:
                        continue
                    span = _span(event, zone)
                    if span is None or span[1] <= low or span[0] >= high:
                        continue
                    key = (str(event.get("UID", "")), span[0])
                    if key in seen:
                        continue
                    seen.add(key)
                    spans.append((max(span[0], low), min(span[1], high)))
                    if len(spans) > MAX_OCCURRENCES:
                        raise SyncFailed(
                            f"more than {MAX_OCCURRENCES} busy events in the synced window"
                            " (docs/calendar-sync.md, bounds)"
                        )
        except SyncFailed:
            raise
        except Exception as error:  # the library's own errors on broken rules or dates
            raise SyncFailed(f"the calendar's events cannot be expanded: {error}") from None
    return Busy(_cut(_merged(spans)), len(spans))


def _utc(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)
