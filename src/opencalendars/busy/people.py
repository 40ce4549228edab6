"""The one busy-time picture of some people around a range (PRODUCT §4.3, §7), and who of them
is free: the team members of a calendar for an appointment, the staff of a service for a service
booking. Free slots read the same picture."""

from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, select

from opencalendars.availability.engine import Person, Resource, SlotRules, free_slots
from opencalendars.availability.resolver import Window, open_windows
from opencalendars.busy import appointments
from opencalendars.busy.availability import load_calendar_availability, load_staff_availability
from opencalendars.busy.blocks import blocking_spans
from opencalendars.busy.external import external_spans
from opencalendars.busy.resources import MappedResource
from opencalendars.busy.rules import busy_range, slot_rules
from opencalendars.busy.segments import occupying_segments
from opencalendars.calendars.models import Calendar
from opencalendars.calendars.rules import MAX_BUFFER_MS, CalendarRules, buffers_of
from opencalendars.context import LocationContext
from opencalendars.db.batch import Fetch, Plan, done, single, together
from opencalendars.db.prepared import PreparedRead
from opencalendars.http.times import MIN_EPOCH_MS
from opencalendars.units import DAY_MS

_calendars = Calendar.__table__.c
_CALENDAR_SETTINGS = PreparedRead(
    select(_calendars.id, _calendars.settings).where(
        _calendars.id.in_(bindparam("calendar_ids", expanding=True))
    )
)


def other_calendar_buffers(calendar_ids: set[str]) -> Fetch:
    """`{calendar_id: (pre_buffer_ms, post_buffer_ms)}` of these calendars."""
    return Fetch(
        _CALENDAR_SETTINGS,
        {"calendar_ids": sorted(calendar_ids)},
        shape=lambda rows: {calendar.id: buffers_of(calendar.settings) for calendar in rows},
    )


@dataclass(frozen=True)
class PeopleBusy:
    """The one busy-time picture (PRODUCT §4.3, §7) of some people around a range."""

    # Raw spans of occupying appointments in the calendar being booked, per person.
    same: dict[str, list[tuple[int, int]]]
    # Everything else that blocks each person, already widened by its own buffers:
    # appointments of other calendars, service bookings, their blocked slots, the busy time
    # synced from their own calendars.
    blocking: dict[str, list[tuple[int, int]]]
    # Blocked slots of the calendar being booked.
    calendar_blocks: list[tuple[int, int]]


def people_busy(
    context: LocationContext,
    *,
    user_ids: list[str],
    busy_from: int,
    busy_to: int,
    calendar_id: str | None = None,
    exclude_appointment_id: str = "",
    exclude_booking_id: str = "",
) -> Plan[PeopleBusy]:
    """What keeps these people busy between busy_from and busy_to, seen from `calendar_id` (None:
    from no calendar, as Services V2 staff), leaving out one appointment or service booking
    when it is being changed. Free slots, bookings and service bookings all read it: one round,
    and a second only when the people hold appointments in other calendars (their buffers)."""
    location_id = context.location_id
    span = {"start_ms": busy_from, "end_ms": busy_to}
    fetches = [blocking_spans(location_id, calendar_id, user_ids=user_ids, **span)]
    if user_ids:
        fetches += [
            appointments.occupying_for_users(
                location_id,
                user_ids,
                **span,
                exclude_id=exclude_appointment_id,
                calendar_id=calendar_id,
            ),
            # Those that started over a day before (rare), a row each.
            appointments.long_occupying_for_users(
                location_id, user_ids, start_ms=busy_from, exclude_id=exclude_appointment_id
            ),
            # Occurrences of recurring series (rare), in the same shape.
            appointments.occupying_series(
                location_id,
                context.zone,
                **span,
                user_ids=user_ids,
                exclude_id=exclude_appointment_id,
            ),
            # Service bookings take their staff's time in every calendar (PRODUCT §7).
            occupying_segments(
                location_id, user_ids, **span, exclude_booking_id=exclude_booking_id
            ),
            # Their own calendars' busy time, synced (conflict calendars, PRODUCT §16).
            external_spans(location_id, user_ids, **span),
        ]
    (calendar_blocks, user_blocks), *of_people = yield fetches
    held, long_held, series, segments, synced = of_people or ([], [], [], [], {})
    held += [
        appointments.HeldSpans(user_id, busy_calendar_id, [(start, end)])
        for user_id, busy_calendar_id, start, end in long_held + series
    ]
    other_calendars = {item.calendar_id for item in held} - {calendar_id}
    others = {}
    if other_calendars:
        (others,) = yield [other_calendar_buffers(other_calendars)]
    same: dict[str, list[tuple[int, int]]] = defaultdict(list)
    blocking: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for user_id, busy_calendar_id, spans in held:
        if busy_calendar_id == calendar_id:
            same[user_id] += spans
        else:
            their_pre, their_post = others.get(busy_calendar_id, (0, 0))
            blocking[user_id] += [(start - their_pre, end + their_post) for start, end in spans]
    for user_id, start, end in segments:
        blocking[user_id].append((start, end))
    # Blocked slots and synced busy time block like an appointment without buffers.
    for user_id, spans in user_blocks.items():
        blocking[user_id] += spans
    for user_id, spans in synced.items():
        blocking[user_id] += spans
    return PeopleBusy(in_order(same), in_order(blocking), sorted(calendar_blocks))


def in_order(spans_of: dict[str, list[tuple[int, int]]]) -> dict[str, list[tuple[int, int]]]:
    """Each person's spans by start: the database returns rows (and PostgreSQL fills an
    aggregate's arrays) in whatever order its plan reads them, which may change between two
    runs of the same statement; so that two equal pictures compare equal
    (slots.service.starts_made_before). Nearly sorted already, so nearly free."""
    for spans in spans_of.values():
        spans.sort()
    return spans_of


def calendar_spans(
    context: LocationContext,
    calendar_id: str,
    *,
    busy_from: int,
    busy_to: int,
    exclude_appointment_id: str = "",
) -> Plan[list[tuple[int, int]]]:
    """The spans of a calendar's own occupying appointments (an event calendar's time, or a
    resource's), recurring series' occurrences included."""
    span = {"start_ms": busy_from, "end_ms": busy_to, "exclude_id": exclude_appointment_id}
    own, series = yield [
        appointments.occupying_in_calendar(context.location_id, calendar_id, **span),
        appointments.occupying_series(
            context.location_id, context.zone, calendar_id=calendar_id, **span
        ),
    ]
    return sorted(
        own + [(item.start_ms, item.end_ms) for item in series if item.calendar_id == calendar_id]
    )


def persons_for(
    calendar: CalendarRules,
    *,
    context: LocationContext,
    members: list[str],
    start_ms: int,
    end_ms: int,
    busy_span: tuple[int, int],
    exclude_appointment_id: str = "",
) -> Plan[list[Person]]:
    """The people whose time decides this calendar's slots between start_ms and end_ms, with
    their windows and their busy spans in `busy_span` (`busy_range`), leaving out one
    appointment when it is being moved. `context` is the calendar's location."""
    busy_from, busy_to = busy_span
    calendar_id = calendar.id
    is_event = calendar.calendar_type == "event"
    availability, busy, own = yield from together(
        load_calendar_availability(calendar, context.zone),
        people_busy(
            context,
            user_ids=members,
            busy_from=busy_from,
            busy_to=busy_to,
            calendar_id=calendar_id,
            exclude_appointment_id=exclude_appointment_id,
        ),
        # An event calendar is itself the person: its own appointments take its time.
        calendar_spans(
            context,
            calendar_id,
            busy_from=busy_from,
            busy_to=busy_to,
            exclude_appointment_id=exclude_appointment_id,
        )
        if is_event
        else done([]),
    )
    if is_event:
        # The calendar itself is the person; its members' busy times count too.
        member_busy = [span for user in members for span in busy.blocking[user]]
        windows = open_windows(availability.calendar, start_ms, end_ms)
        return [
            Person(
                key=calendar_id,
                windows=windows,
                blocking=sorted([*busy.calendar_blocks, *member_busy]),
                same=own,
            )
        ]
    # Members with the same hours share one Availability object: resolve its windows once.
    windows_of: dict[int, list[Window]] = {}
    persons = []
    for user in members:
        hours = availability.for_member(user)
        if id(hours) not in windows_of:
            windows_of[id(hours)] = open_windows(hours, start_ms, end_ms)
        persons.append(
            Person(
                key=user,
                windows=windows_of[id(hours)],
                blocking=busy.blocking[user],
                same=busy.same[user],
                # One list for every member: the engine resolves the calendar's blocks once.
                shared=busy.calendar_blocks,
            )
        )
    return persons


def resources_for(
    mapped: list[MappedResource],
    *,
    context: LocationContext,
    busy_span: tuple[int, int],
    exclude_appointment_id: str = "",
) -> Plan[list[Resource]]:
    """The rooms and equipment mapped to a calendar (`resources_of_calendar`), each with the
    occupying appointments in `busy_span` of every calendar it is mapped to (PRODUCT §4.4)."""
    busy_from, busy_to = busy_span
    spans = yield from together(
        *[
            calendar_spans(
                context,
                calendar_id,
                busy_from=busy_from,
                busy_to=busy_to,
                exclude_appointment_id=exclude_appointment_id,
            )
            for resource in mapped
            for calendar_id in resource.calendar_ids
        ]
    )
    found, at = [], 0
    for resource in mapped:
        busy = sorted(
            span
            for of_calendar in spans[at : at + len(resource.calendar_ids)]
            for span in of_calendar
        )
        at += len(resource.calendar_ids)
        found.append(Resource(units=resource.units, busy=busy))
    return found


@dataclass(frozen=True)
class FreeMembers:
    """Who of a booking's candidates is free for [start_ms, end_ms) (`free_members`), found
    person by person when asked: round robin asks in its order and stops at the first free
    one, so a team of ten usually costs the engine one person, not ten."""

    persons: list[Person]
    rules: SlotRules
    resources: list[Resource]
    start_ms: int
    end_ms: int

    def _free(self, persons: list[Person]) -> list[str]:
        # The start must be one the engine offers under the calendar's rules...
        offered = free_slots(persons, self.rules, resources=self.resources).by_person
        at_start = [p for p in persons if self.start_ms in offered.get(p.key, ())]
        # ...and the same check over exactly [start, end): nothing busy in the booked span.
        length = self.end_ms - self.start_ms
        whole = replace(self.rules, duration_ms=length, interval_ms=length)
        spans = [replace(p, windows=[(self.start_ms, self.end_ms)]) for p in at_start]
        free = free_slots(spans, whole, resources=self.resources).by_person
        return [p.key for p in at_start if self.start_ms in free.get(p.key, ())]

    def all(self) -> list[str]:
        """Every free candidate (or, for an event calendar, the calendar), in their order."""
        return self._free(self.persons)

    def first(self, order: list[str]) -> str | None:
        """The first free candidate in `order` (their keys), or None."""
        by_key = {person.key: person for person in self.persons}
        return next((key for key in order if self._free([by_key[key]])), None)


def free_members(
    calendar: CalendarRules,
    *,
    context: LocationContext,
    candidates: list[str],
    mapped: list[MappedResource],
    start_ms: int,
    end_ms: int,
    now_ms: int,
    ignore_date_range: bool,
    exclude_appointment_id: str = "",
) -> Plan[FreeMembers]:
    """Who of the team members among `candidates` (or, for event calendars, the calendar) is
    free for [start, end): the start must be one the engine offers under the calendar's rules,
    and the whole span must be free of busy time (and of full resources among `mapped`). A
    plan of one round (two when they hold appointments in other calendars), run in the
    booking's transaction, under its locks."""
    rules = slot_rules(
        calendar,
        now_ms=now_ms,
        location_zone=context.zone,
        start_ms=start_ms,
        end_ms=start_ms + 1,
        ignore_date_range=ignore_date_range,
    )
    # Windows of the days around, for the grid the start must be on; busy time around the two
    # spans checked: the slot from start_ms, and [start_ms, end_ms).
    busy_span = busy_range(
        calendar,
        zone=context.zone,
        first_start_ms=start_ms,
        last_start_ms=start_ms,
        last_end_ms=max(end_ms, start_ms + calendar.slot_duration_ms),
    )
    persons, resources = yield from together(
        persons_for(
            calendar,
            context=context,
            members=candidates,
            start_ms=start_ms - DAY_MS,
            end_ms=end_ms + DAY_MS,
            busy_span=busy_span,
            exclude_appointment_id=exclude_appointment_id,
        ),
        resources_for(
            mapped,
            context=context,
            busy_span=busy_span,
            exclude_appointment_id=exclude_appointment_id,
        ),
    )
    return FreeMembers(persons, rules, resources, start_ms, end_ms)


def free_staff(
    context: LocationContext,
    *,
    candidates: list[str],
    start_ms: int,
    end_ms: int,
    pre_buffer_ms: int,
    post_buffer_ms: int,
    exclude_booking_id: str = "",
) -> Plan[list[str]]:
    """The staff among `candidates`, in order, who can give a service over [start_ms, end_ms):
    within one of their open windows (their Services V2 schedule), and with nothing busy in the
    span widened by the service's buffers. Their busy time is the picture every calendar sees:
    occupying appointments of every calendar (widened by that calendar's buffers), their other
    service bookings (widened by those services' buffers) and their blocked slots. A plan of
    one round (two when they hold appointments in other calendars)."""
    hours, busy = yield from together(
        single(load_staff_availability(context.location_id, candidates)),
        people_busy(
            context,
            user_ids=candidates,
            # The service's own buffers, and those of the calendars the staff hold appointments in.
            busy_from=start_ms - pre_buffer_ms - MAX_BUFFER_MS,
            busy_to=end_ms + post_buffer_ms + MAX_BUFFER_MS,
            exclude_booking_id=exclude_booking_id,
        ),
    )
    persons = []
    for user in candidates:
        if user not in hours:
            continue
        windows = open_windows(hours[user], start_ms - DAY_MS, end_ms + DAY_MS)
        if any(open_ <= start_ms and end_ms <= close for open_, close in windows):
            # Only this start is asked about: the engine checks the span against busy time.
            persons.append(
                Person(key=user, windows=[(start_ms, end_ms)], blocking=busy.blocking[user])
            )
    length = end_ms - start_ms
    rules = SlotRules(
        duration_ms=length,
        interval_ms=length,
        pre_buffer_ms=pre_buffer_ms,
        post_buffer_ms=post_buffer_ms,
        # Notice is checked by the caller (it may be skipped); here only the time matters.
        earliest_ms=MIN_EPOCH_MS,
    )
    offered = free_slots(persons, rules).by_person
    return [user for user in candidates if start_ms in offered.get(user, ())]
