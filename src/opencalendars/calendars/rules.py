"""A calendar as the hot path reads it: one frozen value with its defaults applied.

Free slots, booking, titles and notifications read a calendar's settings through `CalendarRules`
only, built once per request from a row of `calendars` (a `PreparedRead` row or the ORM object
alike); nothing on those paths reads the JSON `settings` itself. The calendars area owns the
stored shape (service.py validates and merges it); this is its seam for everyone else.
"""

from dataclasses import dataclass
from typing import Any

from opencalendars.calendars.schemas import CALENDAR_DEFAULTS
from opencalendars.units import DAY_MS, to_ms

# PRODUCT §4.1: a slot lasts 30 minutes unless the calendar says otherwise.
DEFAULT_SLOT_MS = to_ms(30, "mins")


@dataclass(frozen=True)
class TeamMember:
    user_id: str
    priority: float  # 1, 0.5 (default) or 0
    is_primary: bool
    location_configurations: tuple[dict, ...]


def length_ms(settings: dict, name: str) -> int:
    """A duration setting (`slotDuration`, `preBuffer`...) with its unit (`...Unit`, default
    `mins`) in milliseconds; 0 when not set."""
    value = settings.get(name)
    if value is None:
        return 0
    return to_ms(value, settings.get(f"{name}Unit", "mins"))


# The time a calendar keeps free around its appointments (PRODUCT §4.3) reaches at most a day
# each side, as a service's buffers do: free slots and bookings read as far around what they
# check as the location's longest buffer (busy/rules.py), so this bounds every such read.
BUFFER_FIELDS = ("preBuffer", "slotBuffer")
MAX_BUFFER_MS = DAY_MS


def buffers_of(settings: dict) -> tuple[int, int]:
    """`(preBuffer, slotBuffer)` in milliseconds: the time kept free before and after."""
    return length_ms(settings, "preBuffer"), length_ms(settings, "slotBuffer")


def buffer_reach_ms(settings: dict) -> int:
    """How far a calendar's buffers reach from its appointments, either way (the stored
    `calendars.buffer_reach_ms`)."""
    return max(buffers_of(settings))


@dataclass(frozen=True)
class CalendarRules:
    id: str
    location_id: str
    name: str
    calendar_type: str
    is_active: bool
    group_id: str | None
    team: tuple[TeamMember, ...]
    event_type: str
    slot_duration_ms: int
    slot_interval_ms: int
    pre_buffer_ms: int
    post_buffer_ms: int
    per_slot: int
    per_day: int
    allow_booking_after: float
    allow_booking_after_unit: str
    allow_booking_for: float
    allow_booking_for_unit: str
    auto_confirm: bool
    event_title: str
    look_busy: dict
    location_configurations: tuple[dict, ...]
    open_hours: tuple[dict, ...]
    availabilities: tuple[dict, ...]
    # The longest buffer of any calendar of the location (`calendars.buffer_reach_ms`): how far
    # other calendars' appointments can keep this calendar's members busy beyond their spans.
    # Unknown (not read), it is the most a buffer may be.
    location_buffer_reach_ms: int = MAX_BUFFER_MS

    @property
    def members(self) -> list[str]:
        return [member.user_id for member in self.team]

    def member(self, user_id: str | None) -> TeamMember | None:
        return next((m for m in self.team if m.user_id == user_id), None)

    @classmethod
    def of(cls, calendar: Any, *, location_buffer_reach_ms: int = MAX_BUFFER_MS) -> "CalendarRules":
        """From a `calendars` row or a `Calendar`: its columns and its settings, defaults
        applied (`CALENDAR_DEFAULTS`, PRODUCT §4.1)."""
        settings = calendar.settings

        def setting(name: str):
            return settings.get(name, CALENDAR_DEFAULTS.get(name))

        duration = length_ms(settings, "slotDuration") or DEFAULT_SLOT_MS
        pre, post = buffers_of(settings)
        return cls(
            id=calendar.id,
            location_id=calendar.location_id,
            name=calendar.name,
            calendar_type=calendar.calendar_type,
            is_active=calendar.is_active,
            group_id=calendar.group_id,
            team=tuple(
                TeamMember(
                    user_id=member["userId"],
                    priority=member.get("priority", 0.5),
                    is_primary=bool(member.get("isPrimary")),
                    location_configurations=tuple(member.get("locationConfigurations") or ()),
                )
                for member in setting("teamMembers")
            ),
            event_type=setting("eventType"),
            slot_duration_ms=duration,
            # An interval of its own only when set: otherwise slots follow each other.
            slot_interval_ms=(
                length_ms(settings, "slotInterval") if "slotInterval" in settings else duration
            ),
            pre_buffer_ms=pre,
            post_buffer_ms=post,
            per_slot=setting("appoinmentPerSlot"),
            per_day=setting("appoinmentPerDay"),
            allow_booking_after=setting("allowBookingAfter"),
            allow_booking_after_unit=setting("allowBookingAfterUnit"),
            allow_booking_for=setting("allowBookingFor"),
            allow_booking_for_unit=setting("allowBookingForUnit"),
            auto_confirm=setting("autoConfirm"),
            event_title=setting("eventTitle") or "",
            look_busy=setting("lookBusyConfig") or {},
            location_configurations=tuple(setting("locationConfigurations") or ()),
            open_hours=tuple(setting("openHours") or ()),
            availabilities=tuple(setting("availabilities") or ()),
            location_buffer_reach_ms=location_buffer_reach_ms,
        )
