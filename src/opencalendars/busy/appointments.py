"""The occupying appointments of people, calendars and series over a range (PRODUCT §4.3):
what free slots and every booking read, as plain tuples over indexed ranges: each a `Fetch`
of a plan's round (db/batch.py)."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from orjson import loads
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)

from opencalendars.appointments.models import FREEING_STATUSES, Appointment, AppointmentUser
from opencalendars.availability import recurrence
from opencalendars.db.batch import Fetch
from opencalendars.db.prepared import PreparedRead
from opencalendars.units import DAY_MS

# The longest an appointment may last. Busy-time reads look this far back for appointments
# that started before a range and still run into it, so they stay indexed range scans.
MAX_APPOINTMENT_MS = 31 * DAY_MS
# ...but nearly every appointment lasts a day or less, so the reads look back one day in the
# busy indexes, and find the longer ones, which alone can start earlier and still run into the
# range, in small partial indexes of their own (`ix_appointment_users_long`,
# `ix_appointments_long`). A booking then reads about three days of its team's appointments, not
# the month before it as well. The threshold is written into the SQL, not bound: a planner can
# only use a partial index for a statement whose own condition matches the index's.
SHORT_SPAN_MS = DAY_MS


def lasts_over_a_day(start: ColumnElement, end: ColumnElement) -> ColumnElement:
    """The condition of the partial indexes of long appointments (models and migration 0019)."""
    return end - start > literal_column(str(SHORT_SPAN_MS))


class BusyAppointment(NamedTuple):
    user_id: str | None  # None: read by calendar (an event calendar's own appointments)
    calendar_id: str
    start_ms: int
    end_ms: int


class HeldSpans(NamedTuple):
    """One person's occupying appointments in one calendar: `[(start_ms, end_ms), ...]`."""

    user_id: str
    calendar_id: str
    spans: list[tuple[int, int]]


_people = AppointmentUser.__table__.c
_OCCUPYING_FOR_USERS_WHERE = (
    _people.location_id == bindparam("location_id"),
    _people.user_id.in_(bindparam("user_ids", expanding=True)),
    _people.end_ms > bindparam("start_ms"),
    _people.occupies.is_(True),
    _people.appointment_id != bindparam("exclude_id"),
)
# Started within a day before the range, or in it.
_RECENT_PEOPLE = (_people.start_ms < bindparam("end_ms"), _people.start_ms > bindparam("recent_ms"))
# Started earlier and still running into the range: longer than a day.
_LONG_PEOPLE = (
    _people.start_ms <= bindparam("recent_ms"),
    _people.start_ms > bindparam("lookback_ms"),
    lasts_over_a_day(_people.start_ms, _people.end_ms),
)


def _occupying_for_users_grouped(aggregate) -> PreparedRead:
    """A month of a team's appointments (thousands of rows) costs more as rows, in the driver
    and in Python, than in the database: it comes back as one row per person, their calendars,
    starts and ends in arrays built by `aggregate` in the same pass (so in the same order).
    Most rows are of the calendar being booked: its id is left out (null), not repeated.
    Built once: the hot path of free slots and booking reads it as a prepared read."""
    return PreparedRead(
        select(
            _people.user_id,
            aggregate(func.nullif(_people.calendar_id, bindparam("calendar_id"))),
            aggregate(_people.start_ms),
            aggregate(_people.end_ms),
        )
        .where(*_OCCUPYING_FOR_USERS_WHERE, *_RECENT_PEOPLE)
        .group_by(_people.user_id),
        named=False,
    )


def _occupying_for_users_by_member() -> PreparedRead:
    """PostgreSQL's form of the same read: each person's arrays filled from a range scan of the
    busy index of their own (a lateral subquery per person, the people one array parameter).
    One scan for all of them, as `_occupying_for_users_grouped` reads, tested the list of people
    on every row and hashed the rows into groups: twice the server's time for a team's month
    (bench/RESULTS.md, session 17). The arrays come in the index's order, by start."""
    member = (
        func.unnest(cast(bindparam("user_ids"), ARRAY(Text)))
        .table_valued("user_id")
        .render_derived(name="member")
    )
    held = (
        select(
            func.array_agg(func.nullif(_people.calendar_id, bindparam("calendar_id"))).label(
                "calendar_ids"
            ),
            func.array_agg(_people.start_ms).label("starts"),
            func.array_agg(_people.end_ms).label("ends"),
        )
        .where(
            _people.location_id == bindparam("location_id"),
            _people.user_id == member.c.user_id,
            _people.end_ms > bindparam("start_ms"),
            _people.occupies.is_(True),
            _people.appointment_id != bindparam("exclude_id"),
            *_RECENT_PEOPLE,
        )
        .lateral("held")
    )
    return PreparedRead(
        select(member.c.user_id, held.c.calendar_ids, held.c.starts, held.c.ends)
        .select_from(member.join(held, true()))
        .where(held.c.starts.is_not(None)),
        named=False,
    )


# PostgreSQL's arrays arrive as lists (binary results: db/batch.py); SQLite's as JSON text.
_OCCUPYING_FOR_USERS = _occupying_for_users_by_member()
_OCCUPYING_FOR_USERS_SQLITE = _occupying_for_users_grouped(func.json_group_array)
# The few that started more than a day before the range, a row each (as series' occurrences).
_LONG_OCCUPYING_FOR_USERS = PreparedRead(
    select(_people.user_id, _people.calendar_id, _people.start_ms, _people.end_ms).where(
        *_OCCUPYING_FOR_USERS_WHERE, *_LONG_PEOPLE
    ),
    named=False,
)
_appointments = Appointment.__table__.c
_OCCUPYING_IN_CALENDAR_WHERE = (
    _appointments.location_id == bindparam("location_id"),
    _appointments.calendar_id == bindparam("calendar_id"),
    _appointments.end_ms > bindparam("start_ms"),
    _appointments.deleted.is_(False),
    _appointments.status.not_in(FREEING_STATUSES),
    _appointments.id != bindparam("exclude_id"),
)
_OCCUPYING_IN_CALENDAR = PreparedRead(
    union_all(
        select(_appointments.start_ms, _appointments.end_ms).where(
            *_OCCUPYING_IN_CALENDAR_WHERE,
            _appointments.start_ms < bindparam("end_ms"),
            _appointments.start_ms > bindparam("recent_ms"),
        ),
        select(_appointments.start_ms, _appointments.end_ms).where(
            *_OCCUPYING_IN_CALENDAR_WHERE,
            _appointments.start_ms <= bindparam("recent_ms"),
            _appointments.start_ms > bindparam("lookback_ms"),
            lasts_over_a_day(_appointments.start_ms, _appointments.end_ms),
        ),
    ),
    named=False,
)
# An owner is a user of the list, or the calendar (None matches no calendar).
_OCCUPYING_SERIES = PreparedRead(
    select(
        _appointments.assigned_user_id,
        _appointments.calendar_id,
        _appointments.start_ms,
        _appointments.end_ms,
        _appointments.rrule,
        _appointments.details,
    ).where(
        _appointments.location_id == bindparam("location_id"),
        _appointments.rrule.is_not(None),
        _appointments.deleted.is_(False),
        _appointments.status.not_in(FREEING_STATUSES),
        _appointments.start_ms < bindparam("end_ms"),
        or_(
            _appointments.series_end_ms.is_(None),
            _appointments.series_end_ms > bindparam("start_ms"),
        ),
        _appointments.id != bindparam("exclude_id"),
        or_(
            _appointments.assigned_user_id.in_(bindparam("user_ids", expanding=True)),
            _appointments.calendar_id == bindparam("calendar_id"),
        ),
    ),
    named=False,
)


def _held_spans(
    calendar_id: str | None, decode: Callable[[Any], list]
) -> Callable[[list[tuple]], list[HeldSpans]]:
    def shape(rows: list[tuple]) -> list[HeldSpans]:
        found = []
        for user_id, calendar_ids, starts, ends in rows:
            # None stands for `calendar_id` (never null in the table).
            calendar_ids = decode(calendar_ids)
            spans = list(zip(decode(starts), decode(ends), strict=True))
            first = calendar_ids[0]
            if calendar_ids.count(first) == len(calendar_ids):  # one calendar: usual
                found.append(HeldSpans(user_id, calendar_id if first is None else first, spans))
                continue
            by_calendar: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for held_in, span in zip(calendar_ids, spans, strict=True):
                by_calendar[calendar_id if held_in is None else held_in].append(span)
            found += [HeldSpans(user_id, *item) for item in by_calendar.items()]
        return found

    return shape


def _as_list(value: list) -> list:
    return value


def occupying_for_users(
    location_id: str,
    user_ids: list[str],
    *,
    start_ms: int,
    end_ms: int,
    exclude_id: str = "",
    calendar_id: str | None = None,
) -> Fetch:
    """Occupying appointments of these people (at least one), in any calendar, that overlap
    the range, by person and calendar: `[HeldSpans, ...]`. `calendar_id` is the calendar being
    booked, if any: most of the appointments read are its own."""
    parameters = {
        "location_id": location_id,
        # Each once: PostgreSQL's form reads a person's appointments once per time named.
        "user_ids": list(dict.fromkeys(user_ids)),
        "start_ms": start_ms,
        "end_ms": end_ms,
        "recent_ms": start_ms - SHORT_SPAN_MS,
        "exclude_id": exclude_id,
        "calendar_id": calendar_id,
    }
    return Fetch(
        _OCCUPYING_FOR_USERS,
        parameters,
        shape=_held_spans(calendar_id, _as_list),
        sqlite=Fetch(
            _OCCUPYING_FOR_USERS_SQLITE, parameters, shape=_held_spans(calendar_id, loads)
        ),
    )


def long_occupying_for_users(
    location_id: str, user_ids: list[str], *, start_ms: int, exclude_id: str = ""
) -> Fetch:
    """The occupying appointments of these people that started more than a day before a range
    from `start_ms` and still run into it (`occupying_for_users` reads the rest; started before
    the range, they need no bound on its end): `[BusyAppointment, ...]`. Usually none: one
    probe of a small index."""
    return Fetch(
        _LONG_OCCUPYING_FOR_USERS,
        {
            "location_id": location_id,
            "user_ids": user_ids,
            "start_ms": start_ms,
            "recent_ms": start_ms - SHORT_SPAN_MS,
            "lookback_ms": start_ms - MAX_APPOINTMENT_MS,
            "exclude_id": exclude_id,
        },
        shape=lambda rows: [BusyAppointment(*row) for row in rows],
    )


def occupying_in_calendar(
    location_id: str,
    calendar_id: str,
    *,
    start_ms: int,
    end_ms: int,
    exclude_id: str = "",
) -> Fetch:
    """Occupying appointments of one calendar that overlap the range, whoever holds them:
    `(start_ms, end_ms)` tuples."""
    return Fetch(
        _OCCUPYING_IN_CALENDAR,
        {
            "location_id": location_id,
            "calendar_id": calendar_id,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "recent_ms": start_ms - SHORT_SPAN_MS,
            "lookback_ms": start_ms - MAX_APPOINTMENT_MS,
            "exclude_id": exclude_id,
        },
    )


def occupying_series(
    location_id: str,
    zone_name: str,
    *,
    start_ms: int,
    end_ms: int,
    user_ids: Iterable[str] = (),
    calendar_id: str | None = None,
    exclude_id: str = "",
) -> Fetch:
    """Occurrences of occupying recurring series of these people (or of this calendar) that
    overlap the range: `[BusyAppointment, ...]`."""

    def occurrences(series: list[tuple]) -> list[BusyAppointment]:
        busy = []
        for user_id, series_calendar_id, first_start, first_end, rrule, details in series:
            duration = first_end - first_start
            exceptions = frozenset(details.get("exceptions", []))
            for start in recurrence.occurrence_starts(
                rrule,
                first_start,
                zone_name,
                from_ms=start_ms - duration,
                to_ms=end_ms,
                exceptions=exceptions,
            ):
                busy.append(BusyAppointment(user_id, series_calendar_id, start, start + duration))
        return busy

    return Fetch(
        _OCCUPYING_SERIES,
        {
            "location_id": location_id,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "exclude_id": exclude_id,
            "user_ids": list(user_ids),
            "calendar_id": calendar_id,
        },
        shape=occurrences,
    )
