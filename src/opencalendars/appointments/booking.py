"""Booking: validate a time against the free-slot engine, choose who is assigned, and write,
all in one transaction under the booking locks (PRODUCT §4.4, §5)."""

from dataclasses import replace

from sqlalchemy import JSON, Text, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from opencalendars.appointments.models import FREEING_STATUSES, Appointment
from opencalendars.appointments.store import MAX_APPOINTMENT_MS
from opencalendars.availability.engine import free_slots
from opencalendars.calendars.models import Calendar
from opencalendars.db.locks import calendar_key, person_key, resource_key, take_booking_locks
from opencalendars.db.prepared import PreparedRead
from opencalendars.errors import BadRequest
from opencalendars.metrics import booking_accepted_on_commit, booking_refused
from opencalendars.resources.models import CalendarResource
from opencalendars.resources.service import resources_of_calendar
from opencalendars.slots.service import DAY_MS, duration_ms, persons_for, resources_for, slot_rules

SLOT_TAKEN = "The slot you have selected is no longer available."
PRIORITY_ORDER = {1: 0, 0.5: 1, 0: 2}


def members_of(calendar: Calendar) -> list[dict]:
    return calendar.settings.get("teamMembers", [])


def slot_length_ms(calendar: Calendar) -> int:
    return duration_ms(calendar, "slotDuration") or 30 * 60_000


def check_span(start_ms: int, end_ms: int) -> None:
    if end_ms <= start_ms:
        raise BadRequest(["endTime must be after startTime"])
    if end_ms - start_ms > MAX_APPOINTMENT_MS:
        raise BadRequest(["an appointment may last 31 days at most"])


def candidates_for(calendar: Calendar, assigned_user_id: str | None) -> list[str]:
    """Who could take the booking: the named member, or every member."""
    members = [member["userId"] for member in members_of(calendar)]
    if assigned_user_id is None:
        return members
    if assigned_user_id not in members:
        raise BadRequest(["assignedUserId must be a team member of this calendar"])
    if calendar.calendar_type == "collective":
        # A collective booking always takes every member; the named one must be among them.
        return members
    return [assigned_user_id]


def lock_keys(calendar: Calendar, user_ids: list[str], mapped: list[CalendarResource]) -> list[str]:
    """Everything the booking could exhaust: the people, an event calendar, its resources."""
    keys = [person_key(calendar.location_id, user) for user in user_ids]
    if calendar.calendar_type == "event":
        keys.append(calendar_key(calendar.id))
    keys += [resource_key(resource.id) for resource in mapped]
    return keys


def free_candidates(
    session: Session,
    calendar: Calendar,
    location_zone: str,
    candidates: list[str],
    mapped: list[CalendarResource],
    start_ms: int,
    end_ms: int,
    now_ms: int,
    ignore_date_range: bool,
    exclude_appointment_id: str = "",
) -> list[str]:
    """The candidates (or, for event calendars, the calendar) free for [start, end): the start
    must be one the engine offers, and the whole span must be free of busy time (and of full
    resources among `mapped`)."""
    rules = slot_rules(calendar, now_ms, location_zone, start_ms, start_ms + 1, ignore_date_range)
    persons = persons_for(
        session,
        calendar,
        location_zone,
        candidates,
        start_ms - DAY_MS,
        end_ms + DAY_MS,
        exclude_appointment_id,
    )
    resources = resources_for(
        session, calendar, mapped, location_zone, start_ms, end_ms, exclude_appointment_id
    )
    offered = free_slots(persons, rules, resources=resources).by_person
    at_start = [p for p in persons if start_ms in offered.get(p.key, ())]
    # The same check over exactly [start, end): nothing busy anywhere in the booked span.
    whole = replace(rules, duration_ms=end_ms - start_ms, interval_ms=end_ms - start_ms)
    spans = [replace(p, windows=[(start_ms, end_ms)]) for p in at_start]
    free = free_slots(spans, whole, resources=resources).by_person
    return [p.key for p in at_start if start_ms in free.get(p.key, ())]


_appointments = Appointment.__table__.c
_ROUND_ROBIN_SCOPE = (
    _appointments.location_id == bindparam("location_id"),
    _appointments.calendar_id == bindparam("calendar_id"),
)
# Built once: equal distribution counts each member's occupying appointments on the calendar
# (this grows with the calendar's history; only that event type needs it).
_OCCUPYING_COUNTS = PreparedRead(
    select(_appointments.assigned_user_id, func.count())
    .where(
        *_ROUND_ROBIN_SCOPE,
        _appointments.assigned_user_id.in_(bindparam("user_ids", expanding=True)),
        _appointments.deleted.is_(False),
        _appointments.status.not_in(FREEING_STATUSES),
    )
    .group_by(_appointments.assigned_user_id),
    named=False,
)


def _last_booked_read(members) -> PreparedRead:
    """For each member in `members` (a column of user ids), when they were last booked on the
    calendar: a max over the index (calendar, member, dateAdded), one seek per member whatever
    the calendar's history (a GROUP BY over the members would read all of it)."""
    return PreparedRead(
        select(
            members,
            select(func.max(_appointments.date_added_ms))
            .where(*_ROUND_ROBIN_SCOPE, _appointments.assigned_user_id == members)
            .scalar_subquery(),
        ),
        named=False,
    )


# The members are one parameter, a list the database unnests into rows, so the statement is
# the same for any team: a column per member stopped at PostgreSQL's 1,664 target entries and
# SQLite's column limit.
_LAST_BOOKED = {
    "sqlite": _last_booked_read(
        func.json_each(bindparam("user_ids", type_=JSON))
        .table_valued("value", name="member")
        .c.value
    ),
    "postgresql": _last_booked_read(
        func.unnest(cast(bindparam("user_ids"), ARRAY(Text))).column_valued("member")
    ),
}


def last_booked(session: Session, calendar: Calendar, user_ids: list[str]) -> dict[str, int]:
    """Per member, when they were last booked on this calendar (0: never)."""
    rows = _LAST_BOOKED[session.get_bind().dialect.name].all(
        session,
        {"location_id": calendar.location_id, "calendar_id": calendar.id, "user_ids": user_ids},
    )
    return {user: last or 0 for user, last in rows}


def occupying_counts(session: Session, calendar: Calendar, user_ids: list[str]) -> dict[str, int]:
    rows = _OCCUPYING_COUNTS.all(
        session,
        {"location_id": calendar.location_id, "calendar_id": calendar.id, "user_ids": user_ids},
    )
    return dict(rows)


def round_robin_pick(session: Session, calendar: Calendar, free: list[str]) -> str:
    """PRODUCT §4.4: by eventType, then priority (1 > 0.5 > 0), then the member booked longest
    ago on this calendar (never booked first), then the lowest userId."""
    priority = {m["userId"]: PRIORITY_ORDER[m.get("priority", 0.5)] for m in members_of(calendar)}
    equal = calendar.settings.get("eventType") == "RoundRobin_OptimizeForEqualDistribution"
    counts = occupying_counts(session, calendar, free) if equal else {}
    last = last_booked(session, calendar, free)

    def rank(user: str) -> tuple:
        return (counts.get(user, 0), priority[user], last[user], user)

    return min(free, key=rank)


def assign(
    session: Session, calendar: Calendar, free: list[str], candidates: list[str]
) -> tuple[str | None, list[str]]:
    """`(assignedUserId, users)` for a booking whose free people are `free`."""
    kind = calendar.calendar_type
    if kind == "event":
        members = [m["userId"] for m in members_of(calendar)]
        return (members[0] if members else None), []
    if kind == "collective":
        primary = next(m["userId"] for m in members_of(calendar) if m.get("isPrimary"))
        return primary, candidates
    if kind == "personal" or len(free) == 1:
        return free[0], []
    return round_robin_pick(session, calendar, free), []


def book(
    session: Session,
    calendar: Calendar,
    location_zone: str,
    assigned_user_id: str | None,
    start_ms: int,
    end_ms: int,
    now_ms: int,
    validate: bool,
    ignore_date_range: bool,
    exclude_appointment_id: str = "",
    also_lock: tuple[str, ...] = (),
) -> tuple[str | None, list[str]]:
    """Lock, check and choose: `(assignedUserId, users)` for a booking of [start, end), or the
    400 of PRODUCT §5. The caller writes the appointment in the same transaction: the booking is
    counted as accepted when it commits (metrics.py), as refused here."""
    try:
        chosen = checked_booking(
            session,
            calendar,
            location_zone,
            assigned_user_id,
            start_ms,
            end_ms,
            now_ms,
            validate,
            ignore_date_range,
            exclude_appointment_id,
            also_lock,
        )
    except BadRequest as refusal:
        booking_refused("appointment", "slot_taken" if refusal.message == SLOT_TAKEN else "invalid")
        raise
    booking_accepted_on_commit(session, "appointment")
    return chosen


def checked_booking(
    session: Session,
    calendar: Calendar,
    location_zone: str,
    assigned_user_id: str | None,
    start_ms: int,
    end_ms: int,
    now_ms: int,
    validate: bool,
    ignore_date_range: bool,
    exclude_appointment_id: str,
    also_lock: tuple[str, ...],
) -> tuple[str | None, list[str]]:
    check_span(start_ms, end_ms)
    candidates = candidates_for(calendar, assigned_user_id)
    mapped = resources_of_calendar(session, calendar)  # read once: for the locks and the check
    take_booking_locks(session, [*lock_keys(calendar, candidates, mapped), *also_lock])
    if not validate:
        free = candidates
    else:
        free = free_candidates(
            session,
            calendar,
            location_zone,
            candidates,
            mapped,
            start_ms,
            end_ms,
            now_ms,
            ignore_date_range,
            exclude_appointment_id,
        )
        everyone = calendar.calendar_type == "collective"
        if not free or (everyone and set(free) != set(candidates)):
            raise BadRequest(SLOT_TAKEN)
    if calendar.calendar_type not in ("event", "collective") and not free:
        raise BadRequest(["this calendar has no team member to assign"])
    return assign(session, calendar, free, candidates)
