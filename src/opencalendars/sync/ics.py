"""ICS feeds written with `icalendar` (RFC 5545): one VEVENT per appointment, service booking
or blocked slot, a recurring series as one VEVENT with RRULE and EXDATE plus one VEVENT per
occurrence edited on its own (same UID, RECURRENCE-ID: its original start), times in the
location's zone with its VTIMEZONE. The output depends only on its input, byte for byte, so
its hash is a stable ETag."""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from icalendar.prop import vRecur

PRODID = "-//OpenCalendars//Calendar feed//EN"
WRITE_BACK_PRODID = "-//OpenCalendars//Calendar write-back//EN"
# What subscribers are asked to wait between polls (RFC 7986 REFRESH-INTERVAL, and Outlook's
# X-PUBLISHED-TTL). Google Calendar polls on its own schedule (hours) whatever is said.
REFRESH = timedelta(minutes=15)


@dataclass(frozen=True)
class FeedEvent:
    component: str  # the key of its version (sync/models.FeedEventVersion)
    uid: str  # before `@host`
    start_ms: int
    end_ms: int
    summary: str
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    created_ms: int
    updated_ms: int
    description: str | None = None
    location: str | None = None
    recurrence_id_ms: int | None = None  # an occurrence of a series edited on its own
    rrule: str | None = None  # a series: the RRULE's value (`FREQ=WEEKLY;COUNT=4`)
    exdates_ms: tuple[int, ...] = ()


def fingerprint(event: FeedEvent) -> str:
    """What changes the event for a subscriber (not the times it was stamped with)."""
    fields = asdict(event)
    del fields["created_ms"], fields["updated_ms"]
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _local(epoch_ms: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, zone)


def _utc(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms // 1000, UTC)


def _vevent(event: FeedEvent, zone: ZoneInfo, host: str, *, sequence: int) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", f"{event.uid}@{host}")
    # No METHOD: DTSTAMP is then the last change of the information (RFC 5545 §3.8.7.2).
    vevent.add("dtstamp", _utc(event.updated_ms))
    vevent.add("created", _utc(event.created_ms))
    vevent.add("last-modified", _utc(event.updated_ms))
    vevent.add("sequence", sequence)
    if event.recurrence_id_ms is not None:
        vevent.add("recurrence-id", _local(event.recurrence_id_ms, zone))
    vevent.add("dtstart", _local(event.start_ms, zone))
    vevent.add("dtend", _local(event.end_ms, zone))
    if event.rrule is not None:
        vevent.add("rrule", vRecur.from_ical(event.rrule))
        if event.exdates_ms:
            vevent.add("exdate", [_local(moment, zone) for moment in event.exdates_ms])
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    vevent.add("status", event.status)
    vevent.add("transp", "OPAQUE")
    return vevent


def render(
    name: str,
    zone_name: str,
    host: str,
    *,
    events: list[FeedEvent],
    sequences: dict[str, int],
) -> bytes:
    """The feed: events by start (then key), every zone used with its VTIMEZONE."""
    zone = ZoneInfo(zone_name)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    refresh = icalendar.vDuration(REFRESH)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", refresh)
    ordered = sorted(events, key=lambda item: (item.start_ms, item.component))
    _add_timezone(calendar, zone_name, ordered)
    for event in ordered:
        calendar.add_component(
            _vevent(event, zone, host, sequence=sequences.get(event.component, 0))
        )
    return calendar.to_ical()


def _add_timezone(calendar: icalendar.Calendar, zone_name: str, events: list[FeedEvent]) -> None:
    """The VTIMEZONE of the zone the events are written in (none for UTC)."""
    if zone_name == "UTC" or not events:
        return
    zone = ZoneInfo(zone_name)
    # From the year of the earliest time written (a series' first start may be old) to
    # two years past the latest: whole years, so the text changes once a year at most.
    moments = [moment for item in events for moment in (item.start_ms, item.end_ms)]
    moments += [moment for item in events for moment in item.exdates_ms]
    moments += [item.recurrence_id_ms for item in events if item.recurrence_id_ms]
    first = _local(min(moments), zone).year
    last = _local(max(moments), zone).year + 2
    calendar.add_component(
        icalendar.Timezone.from_tzinfo(
            zone, tzid=zone_name, first_date=date(first, 1, 1), last_date=date(last, 1, 1)
        )
    )


def render_resource(zone_name: str, domain: str, event: FeedEvent, *, sequence: int) -> bytes:
    """One event as a CalDAV resource (write-back, sync/writeback.py): a VCALENDAR with the
    event (UID `{event.uid}@{domain}`) and its zone's VTIMEZONE, no calendar-wide properties."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", WRITE_BACK_PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    _add_timezone(calendar, zone_name, [event])
    calendar.add_component(_vevent(event, ZoneInfo(zone_name), domain, sequence=sequence))
    return calendar.to_ical()
