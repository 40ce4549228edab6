"""The appointment front door of the booking pipeline (`busy.claims`): who could take the
booking, what to lock, and who is assigned among the free (PRODUCT §4.4, §5). The caller writes
in the same transaction, under the locks."""

from dataclasses import dataclass

from sqlalchemy import JSON, Dialect, Text, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from opencalendars.appointments.models import FREEING_STATUSES, Appointment
from opencalendars.busy.appointments import MAX_APPOINTMENT_MS
from opencalendars.busy.claims import SlotTaken, claim_plan
from opencalendars.busy.people import free_members
from opencalendars.busy.resources import MappedResource, resources_of_calendar
from opencalendars.calendars.rules import CalendarRules
from opencalendars.context import LocationContext
from opencalendars.db.batch import Fetch, Plan, done, run_plan, together
from opencalendars.db.locks import calendar_key, person_key, resource_key
from opencalendars.db.prepared import PreparedRead
from opencalendars.errors import BadRequest
from opencalendars.metrics import booking_accepted_on_commit

SLOT_TAKEN = "The slot you have selected is no longer available."
PRIORITY_ORDER = {1: 0, 0.5: 1, 0: 2}


def check_span(start_ms: int, end_ms: int) -> None:
    if end_ms <= start_ms:
        raise BadRequest(["endTime must be after startTime"])
    if end_ms - start_ms > MAX_APPOINTMENT_MS:
        raise BadRequest(["an appointment may last 31 days at most"])


def candidates_for(calendar: CalendarRules, assigned_user_id: str | None) -> list[str]:
    """Who could take the booking: the named member, or every member."""
    members = calendar.members
    if assigned_user_id is None:
        return members
    if assigned_user_id not in members:
        raise BadRequest(["assignedUserId must be a team member of this calendar"])
    if calendar.calendar_type == "collective":
        # A collective booking always takes every member; the named one must be among them.
        return members
    return [assigned_user_id]


def lock_keys(
    calendar: CalendarRules, user_ids: list[str], mapped: list[MappedResource]
) -> list[str]:
    """Everything the booking could exhaust: the people, an event calendar, its resources."""
    keys = [person_key(calendar.location_id, user) for user in user_ids]
    if calendar.calendar_type == "event":
        keys.append(calendar_key(calendar.id))
    keys += [resource_key(resource.id) for resource in mapped]
    return keys


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


def _last_booked_by_user(rows: list[tuple]) -> dict[str, int]:
    return {user: last or 0 for user, last in rows}


def _members_on(calendar: CalendarRules, user_ids: list[str]) -> dict:
    """The parameters of round robin's reads: these members, on this calendar."""
    return {"location_id": calendar.location_id, "calendar_id": calendar.id, "user_ids": user_ids}


def last_booked(calendar: CalendarRules, user_ids: list[str]) -> Fetch:
    """Per member, when they were last booked on this calendar (0: never)."""
    parameters = _members_on(calendar, user_ids)
    return Fetch(
        _LAST_BOOKED["postgresql"],
        parameters,
        shape=_last_booked_by_user,
        sqlite=Fetch(_LAST_BOOKED["sqlite"], parameters, shape=_last_booked_by_user),
    )


def picks_among(calendar: CalendarRules, free: list[str]) -> bool:
    """Whether a booking whose free people are `free` chooses among them (round robin)."""
    return calendar.calendar_type not in ("event", "collective", "personal") and len(free) > 1


@dataclass(frozen=True)
class Standing:
    """What round robin ranks members by besides priority (PRODUCT §4.4): how many occupying
    appointments each holds on the calendar (equal distribution only), when each was last
    booked on it."""

    counts: dict[str, int]
    last: dict[str, int]


def round_robin_standing(calendar: CalendarRules, user_ids: list[str]) -> Plan[Standing | None]:
    """The `Standing` of these members, when a booking may have to choose among them; else
    None, and nothing is read. A plan: a booking reads it in the round of its busy-time
    check, for every candidate (one index seek each), before it knows who is free."""
    if not picks_among(calendar, user_ids):
        return None
    equal = calendar.event_type == "RoundRobin_OptimizeForEqualDistribution"
    last, *counts = yield [
        last_booked(calendar, user_ids),
        *([Fetch(_OCCUPYING_COUNTS, _members_on(calendar, user_ids), shape=dict)] if equal else []),
    ]
    return Standing(counts=counts[0] if counts else {}, last=last)


def round_robin_order(calendar: CalendarRules, users: list[str], standing: Standing) -> list[str]:
    """PRODUCT §4.4: by eventType, then priority (1 > 0.5 > 0), then the member booked longest
    ago on this calendar (never booked first), then the lowest userId."""
    priority = {m.user_id: PRIORITY_ORDER[m.priority] for m in calendar.team}
    counts, last = standing.counts, standing.last

    def rank(user: str) -> tuple:
        return (counts.get(user, 0), priority[user], last[user], user)

    return sorted(users, key=rank)


def assign(
    calendar: CalendarRules, free: list[str], *, candidates: list[str], standing: Standing | None
) -> tuple[str | None, list[str]]:
    """`(assignedUserId, users)` for a booking whose free people are `free` (`standing`: read
    by `round_robin_standing` for the candidates, when it has to choose)."""
    kind = calendar.calendar_type
    if kind == "event":
        members = calendar.members
        return (members[0] if members else None), []
    if kind == "collective":
        primary = next(m.user_id for m in calendar.team if m.is_primary)
        return primary, candidates
    if not picks_among(calendar, free):
        return free[0], []
    return round_robin_order(calendar, free, standing)[0], []


def booking_plan(
    calendar: CalendarRules,
    context: LocationContext,
    *,
    dialect: Dialect,
    assigned_user_id: str | None,
    start_ms: int,
    end_ms: int,
    now_ms: int,
    validate: bool,
    ignore_date_range: bool,
    exclude_appointment_id: str = "",
    also_lock: tuple[str, ...] = (),
) -> Plan[tuple[str | None, list[str]]]:
    """`(assignedUserId, users)` for a booking of [start, end), or the 400 of PRODUCT §5, as a
    plan for the booking's transaction: the candidates (the named member, or every member) and
    the calendar's resources locked (with `also_lock`: the people an edited appointment holds
    now), then, when `validate`, the free ones among them, then the assignment."""
    candidates: list[str] = []
    mapped: list[MappedResource] = []

    def to_lock() -> Plan[list[str]]:
        nonlocal candidates, mapped
        check_span(start_ms, end_ms)
        candidates = candidates_for(calendar, assigned_user_id)
        mapped = yield from resources_of_calendar(calendar)  # read once: locks and check
        return [*lock_keys(calendar, candidates, mapped), *also_lock]

    def check() -> Plan[tuple]:
        # Who is free, and how round robin would rank them, in one round.
        return together(
            free_members(
                calendar,
                context=context,
                candidates=candidates,
                mapped=mapped,
                start_ms=start_ms,
                end_ms=end_ms,
                now_ms=now_ms,
                ignore_date_range=ignore_date_range,
                exclude_appointment_id=exclude_appointment_id,
            )
            if validate
            else done(None),
            round_robin_standing(calendar, candidates),
        )

    def choose(found: tuple) -> tuple[str | None, list[str]]:
        members, standing = found
        if not validate:
            free = candidates
        elif standing is not None:
            # Round robin books the first free member in its order: the engine checks them in
            # that order, up to the first free one.
            first = members.first(round_robin_order(calendar, candidates, standing))
            free = [] if first is None else [first]
        else:
            free = members.all()
        if validate:
            everyone = calendar.calendar_type == "collective"
            if not free or (everyone and set(free) != set(candidates)):
                raise SlotTaken(SLOT_TAKEN)
        if calendar.calendar_type not in ("event", "collective") and not free:
            raise BadRequest(["this calendar has no team member to assign"])
        return assign(calendar, free, candidates=candidates, standing=standing)

    return claim_plan("appointment", dialect, to_lock(), check=check, choose=choose)


def book(
    session: Session, calendar: CalendarRules, context: LocationContext, **booking
) -> tuple[str | None, list[str]]:
    """`booking_plan` run in the session's transaction (an edit's new time or assignee), its
    acceptance counted when that commits."""
    dialect = session.get_bind().dialect
    chosen = run_plan(session, booking_plan(calendar, context, dialect=dialect, **booking))
    booking_accepted_on_commit(session, "appointment")
    return chosen
