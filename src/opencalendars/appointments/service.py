"""The appointments API: create, edit, read, delete, list events, notes (PRODUCT §5)."""

from functools import partial

from sqlalchemy import Dialect, or_, select
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.appointments import booking
from opencalendars.appointments.models import (
    FREEING_STATUSES,
    Appointment,
    AppointmentNote,
    AppointmentUser,
)
from opencalendars.appointments.schemas import (
    AppointmentCreateSchema,
    AppointmentEditSchema,
    NotesDTO,
)
from opencalendars.appointments.store import appointment_rows, save_appointment
from opencalendars.availability import recurrence
from opencalendars.blocked_slots import service as blocked_slots
from opencalendars.calendars.models import Calendar
from opencalendars.calendars.rules import CalendarRules
from opencalendars.calendars.service import (
    calendar_ids_in_group,
    live_calendar,
    read_live_calendar,
)
from opencalendars.contacts.bookings import booking_contact, event_title
from opencalendars.context import LocationContext
from opencalendars.db.batch import Plan, Written, done, run_plan, single, together
from opencalendars.db.database import Database
from opencalendars.db.locks import person_key
from opencalendars.db.queries import for_change, get_live, live, one_or_not_found
from opencalendars.errors import BadRequest, NotFound
from opencalendars.events.emit import (
    appointment_changed,
    appointment_messages,
    event_reads,
    snapshot,
)
from opencalendars.http.event_lists import MAX_EVENTS, EventListQuery, check_count
from opencalendars.http.times import MAX_EPOCH_MS, MIN_EPOCH_MS, BodyTimes
from opencalendars.ids import new_id
from opencalendars.metrics import booking_accepted

APPOINTMENT_NOT_FOUND = "Appointment not found"
NOTE_NOT_FOUND = "Note not found"
# A calendar location configuration's kind, as the appointment's meetingLocationType.
MEETING_TYPES = {
    "custom": "custom",
    "zoom_conference": "zoom",
    "google_conference": "gmeet",
    "inbound_call": "phone",
    "outbound_call": "phone",
    "physical": "address",
    "booker": "custom",
    "ms_teams_conference": "ms_teams",
}


def get_live_appointment(
    session: Session, location_id: str, appointment_id: str, *, to_change: bool = False
) -> Appointment:
    return get_live(
        session,
        Appointment,
        location_id,
        row_id=appointment_id,
        message=APPOINTMENT_NOT_FOUND,
        to_change=to_change,
    )


def meeting_location(calendar: CalendarRules, assigned_user_id: str | None, fields: dict) -> dict:
    """`meetingLocationType` and `address` as the spec describes: given ones when
    `overrideLocationConfig` or an explicit type or address is sent (an address alone means
    `custom`); otherwise the configuration named by `meetingLocationId` (default: the first)
    of the assigned member, else of the calendar."""
    if (
        fields.get("overrideLocationConfig")
        or "meetingLocationType" in fields
        or "address" in fields
    ):
        chosen = {"meetingLocationType": fields.get("meetingLocationType") or "custom"}
        if "address" in fields:
            chosen["address"] = fields["address"]
        return chosen
    member = calendar.member(assigned_user_id)
    own = member.location_configurations if member is not None else ()
    configurations = own or calendar.location_configurations
    wanted = fields.get("meetingLocationId") or "default"
    if not configurations:
        if wanted != "default":
            raise BadRequest(["meetingLocationId does not name a location of this calendar"])
        return {}
    if wanted == "default":
        configuration = configurations[0]
    else:
        ids = {f"{c['kind']}_{i}": c for i, c in enumerate(configurations)}
        if wanted not in ids:
            raise BadRequest(["meetingLocationId does not name a location of this calendar"])
        configuration = ids[wanted]
    chosen = {
        "meetingLocationType": MEETING_TYPES[configuration["kind"]],
        "meetingLocationId": wanted,
    }
    if configuration.get("location"):
        chosen["address"] = configuration["location"]
    return chosen


def series_rule(rrule: str | None, start_ms: int, end_ms: int, *, location_zone: str):
    """`(rule, series end)` for a recurring series, or `(None, None)`; 400 when the rule is bad
    or beyond the limits of a series (docs/appointments.md, "Recurring series")."""
    if rrule is None:
        return None, None
    try:
        return recurrence.rule_text(rrule), recurrence.series_end_ms(
            rrule, start_ms, end_ms - start_ms, zone_name=location_zone
        )
    except recurrence.RuleRefused as refused:
        raise BadRequest([str(refused)]) from None
    except ValueError:
        raise BadRequest(["rrule must be a valid RFC 5545 recurrence rule"]) from None


def split_occurrence_id(event_id: str) -> tuple[str, int, int] | None:
    """`{masterId}_{startEpochMs}_{durationSeconds}` → its parts, or None; None too for a start
    outside the years 1 to 9999 (no occurrence is there) and for digits other than 0-9."""
    parts = event_id.rsplit("_", 2)
    if len(parts) != 3:
        return None
    master_id, start, duration = parts
    numbers = (start.removeprefix("-"), duration)
    if not all(text.isascii() and text.isdigit() and len(text) <= 15 for text in numbers):
        return None
    start_ms = int(start)
    if not MIN_EPOCH_MS <= start_ms <= MAX_EPOCH_MS:
        return None
    return master_id, start_ms, int(duration)


def occurrence_id(master: Appointment, start_ms: int) -> str:
    return f"{master.id}_{start_ms}_{(master.end_ms - master.start_ms) // 1000}"


def occurrence(master: Appointment, start_ms: int) -> Appointment:
    """One occurrence of a series, as an appointment that is not stored."""
    return Appointment(
        id=occurrence_id(master, start_ms),
        location_id=master.location_id,
        calendar_id=master.calendar_id,
        assigned_user_id=master.assigned_user_id,
        users=master.users,
        contact_id=master.contact_id,
        title=master.title,
        status=master.status,
        start_ms=start_ms,
        end_ms=start_ms + (master.end_ms - master.start_ms),
        deleted=False,
        details={k: v for k, v in master.details.items() if k != "exceptions"},
        date_added_ms=master.date_added_ms,
        date_updated_ms=master.date_updated_ms,
        rrule=master.rrule,
        master_event_id=master.id,
    )


def find_occurrence(
    session: Session,
    context: LocationContext,
    *,
    event_id: str,
    to_change: bool = False,
) -> tuple[Appointment, int] | None:
    """The live series and start an occurrence id names, if that occurrence exists.
    `to_change`: the series row is locked, as detaching or deleting an occurrence changes it."""
    parts = split_occurrence_id(event_id)
    if parts is None:
        return None
    master_id, start_ms, duration_s = parts
    series = select(Appointment).where(
        Appointment.id == master_id,
        Appointment.location_id == context.location_id,
        Appointment.deleted.is_(False),
        Appointment.rrule.is_not(None),
    )
    master = session.scalar(for_change(series) if to_change else series)
    if master is None or (master.end_ms - master.start_ms) // 1000 != duration_s:
        return None
    starts = recurrence.occurrence_starts(
        master.rrule,
        master.start_ms,
        context.zone,
        from_ms=start_ms,
        to_ms=start_ms,
        exceptions=master.exceptions,
    )
    return (master, start_ms) if starts == [start_ms] else None


def except_from_series(master: Appointment, start_ms: int) -> None:
    master.details = {**master.details, "exceptions": [*master.exceptions, start_ms]}


def detach(session: Session, master: Appointment, start_ms: int) -> Appointment:
    """An occurrence edited on its own becomes an appointment of its own, under its id."""
    single = occurrence(master, start_ms)
    single.rrule = None
    except_from_series(master, start_ms)
    save_appointment(session, master)
    save_appointment(session, single)
    return single


def editable(session: Session, context: LocationContext, *, event_id: str):
    """The stored appointment an id names, locked for the change, detaching the occurrence it
    names if need be."""
    try:
        return get_live_appointment(session, context.location_id, event_id, to_change=True)
    except NotFound:
        found = find_occurrence(session, context, event_id=event_id, to_change=True)
        if found is not None:
            return detach(session, *found)
        # A concurrent edit may have detached the occurrence while this one waited for the
        # series' lock: it is a stored appointment now.
        return get_live_appointment(session, context.location_id, event_id, to_change=True)


def appointment_creation(
    context: LocationContext,
    dto: AppointmentCreateSchema,
    *,
    times: BodyTimes,
    dialect: Dialect,
) -> Plan[Written[Appointment]]:
    """A single appointment, or (with `rrule` and `ignoreFreeSlotValidation`, as the spec says)
    a recurring series whose first occurrence is `startTime`, as a write plan (db/batch.py):
    the calendar and the clock in one round, the booking's locks and checks with the contact
    and what its events read in the next, then the appointment's rows and the messages it
    queues, written together. The first round reads only what the calendar's next booking
    reads again, so that on PostgreSQL both rounds usually go out together (db/loop_writes.py);
    the contact, new with nearly every booking, waits for the second."""
    start_ms = times.start_ms
    calendar, now = yield from together(
        live_calendar(dto.locationId, dto.calendarId), single(clock.now())
    )
    end_ms = times.end_ms if times.end_ms is not None else start_ms + calendar.slot_duration_ms
    appointment_id = new_id()
    # What its events need is read with the checks, for every member who could be booked. The
    # contact comes first: an unknown one is refused before the slot is found taken.
    contact, (assigned, users), reads = yield from together(
        booking_contact(dto.locationId, dto.contactId),
        booking.booking_plan(
            calendar,
            context,
            dialect=dialect,
            assigned_user_id=dto.assignedUserId,
            start_ms=start_ms,
            end_ms=end_ms,
            now_ms=now,
            validate=not dto.ignoreFreeSlotValidation,
            ignore_date_range=dto.ignoreDateRange,
        ),
        event_reads(
            dto.locationId, calendar.id, appointment_id=appointment_id, users=calendar.members
        ),
    )
    fields = dto.model_dump(exclude_unset=True)
    rule, series_end = series_rule(
        dto.rrule if dto.ignoreFreeSlotValidation else None,
        start_ms,
        end_ms,
        location_zone=context.zone,
    )
    appointment = Appointment(
        id=appointment_id,
        location_id=dto.locationId,
        calendar_id=calendar.id,
        assigned_user_id=assigned,
        users=users,
        contact_id=dto.contactId,
        title=dto.title or event_title(calendar, dto.contactId, contact),
        status=dto.appointmentStatus or ("confirmed" if calendar.auto_confirm else "new"),
        start_ms=start_ms,
        end_ms=end_ms,
        deleted=False,
        details={
            **meeting_location(calendar, assigned, fields),
            **({"description": dto.description} if dto.description is not None else {}),
            "toNotify": True if dto.toNotify is None else dto.toNotify,
            "createdBy": {"source": "third_party"},
        },
        date_added_ms=now,
        date_updated_ms=now,
        rrule=rule,
        series_end_ms=series_end,
    )
    messages = yield from appointment_messages(
        "AppointmentCreate",
        appointment,
        reads,
        context=context,
        now_ms=now,
        calendar=calendar,
        contact=done(contact),  # read with the calendar
    )
    return Written(appointment, [*appointment_rows(appointment), *messages])


async def create_appointment(
    db: Database, context: LocationContext, dto: AppointmentCreateSchema, *, times: BodyTimes
) -> Appointment:
    """`appointment_creation` in a transaction of its own (`Database.write_plan`: on PostgreSQL
    without leaving the event loop)."""
    appointment = await db.write_plan(
        partial(appointment_creation, context, dto, times=times, dialect=db.engine.dialect)
    )
    booking_accepted("appointment")
    return appointment


def create_appointment_in_thread(
    db: Database, context: LocationContext, dto: AppointmentCreateSchema, *, times: BodyTimes
) -> Appointment:
    """`create_appointment` for a worker thread (the booking widget)."""
    appointment = db.run_write_plan(
        appointment_creation(context, dto, times=times, dialect=db.engine.dialect)
    )
    booking_accepted("appointment")
    return appointment


def update_appointment(
    db: Database,
    context: LocationContext,
    *,
    appointment_id: str,
    dto: AppointmentEditSchema,
    times: BodyTimes,
):
    """Partial. Moving the time, the calendar or the assignee is checked again (the appointment
    does not count against itself) unless `ignoreFreeSlotValidation`."""
    location_id = context.location_id
    fields = dto.model_dump(exclude_unset=True)
    with db.write() as session:
        now = clock.now_ms(session)
        appointment = editable(session, context, event_id=appointment_id)
        before = snapshot(appointment)
        calendar = read_live_calendar(
            session, location_id, dto.calendarId or appointment.calendar_id
        )
        start_ms = times.start_ms if times.start_ms is not None else appointment.start_ms
        if times.end_ms is not None:
            end_ms = times.end_ms
        elif times.start_ms is not None:
            end_ms = start_ms + (appointment.end_ms - appointment.start_ms)
        else:
            end_ms = appointment.end_ms
        moved = (
            start_ms != appointment.start_ms
            or end_ms != appointment.end_ms
            or calendar.id != appointment.calendar_id
            or ("assignedUserId" in fields and dto.assignedUserId != appointment.assigned_user_id)
        )
        occupies_after = (dto.appointmentStatus or appointment.status) not in FREEING_STATUSES
        # Cancelled or invalid back to a live status takes the time again: that is a booking.
        revived = occupies_after and not appointment.occupies
        if moved or revived:
            # Taking time again is a booking: for a live contact, where the location says so.
            run_plan(session, booking_contact(location_id, appointment.contact_id))
            wanted = dto.assignedUserId if "assignedUserId" in fields else None
            # Keep the assignee when only the time moves, if they are still a member.
            if (
                wanted is None
                and calendar.id == appointment.calendar_id
                and appointment.assigned_user_id in calendar.members
                and calendar.calendar_type != "event"
            ):
                wanted = appointment.assigned_user_id
            previous = [person_key(location_id, user) for user in appointment.people]
            assigned, users = booking.book(
                session,
                calendar,
                context,
                assigned_user_id=wanted,
                start_ms=start_ms,
                end_ms=end_ms,
                now_ms=now,
                # A series is never checked against availability (nor created so, as the spec
                # says); what will not occupy time needs no check.
                validate=occupies_after
                and not (dto.ignoreFreeSlotValidation or appointment.is_series),
                ignore_date_range=dto.ignoreDateRange,
                exclude_appointment_id=appointment.id,
                also_lock=tuple(previous),
            )
            appointment.calendar_id = calendar.id
            appointment.assigned_user_id, appointment.users = assigned, users
            appointment.start_ms, appointment.end_ms = start_ms, end_ms
        details = dict(appointment.details)
        if {"meetingLocationType", "meetingLocationId", "address", "overrideLocationConfig"} & set(
            fields
        ):
            for key in ("meetingLocationType", "meetingLocationId", "address"):
                details.pop(key, None)
            details.update(meeting_location(calendar, appointment.assigned_user_id, fields))
        if dto.description is not None:
            details["description"] = dto.description
        if dto.toNotify is not None:
            details["toNotify"] = dto.toNotify
        appointment.details = details
        if dto.title is not None:
            appointment.title = dto.title
        if dto.appointmentStatus is not None:
            appointment.status = dto.appointmentStatus
        if dto.rrule is not None and dto.ignoreFreeSlotValidation:
            appointment.rrule = dto.rrule
        if appointment.is_series:
            appointment.rrule, appointment.series_end_ms = series_rule(
                appointment.rrule,
                appointment.start_ms,
                appointment.end_ms,
                location_zone=context.zone,
            )
        appointment.date_updated_ms = now
        save_appointment(session, appointment)
        appointment_changed(
            session,
            "AppointmentUpdate",
            appointment,
            context=context,
            now_ms=appointment.date_updated_ms,
            before=before,
            calendar=calendar,
        )
    return appointment


def read_appointment(db: Database, context: LocationContext, *, event_id: str):
    """The appointment (or occurrence) and its calendar's group. A deleted appointment still
    reads, with `deleted: true`, as on the live service; so do appointments of a deleted
    calendar. An occurrence taken out of its series is no longer one: 404."""
    stored = select(Appointment).where(
        Appointment.id == event_id, Appointment.location_id == context.location_id
    )
    with db.read() as session:
        try:
            appointment = one_or_not_found(session, stored, APPOINTMENT_NOT_FOUND)
        except NotFound:
            found = find_occurrence(session, context, event_id=event_id)
            if found is None:
                raise
            appointment = occurrence(*found)
        group_id = session.scalar(
            select(Calendar.group_id).where(Calendar.id == appointment.calendar_id)
        )
    return appointment, group_id


def delete_appointment(session: Session, context: LocationContext, *, appointment_id: str) -> bool:
    """Soft delete of an appointment, a whole series (with its detached occurrences) or one
    occurrence: kept, never shown again, frees its time. False when the id names none (it may
    be a blocked slot's)."""
    appointment = session.scalar(
        for_change(live(Appointment, context.location_id).where(Appointment.id == appointment_id))
    )
    if appointment is None:
        found = find_occurrence(session, context, event_id=appointment_id, to_change=True)
        if found is None:
            return False
        master, start_ms = found
        gone = occurrence(master, start_ms)
        except_from_series(master, start_ms)
        save_appointment(session, master)
        gone.deleted = True
        appointment_changed(
            session,
            "AppointmentDelete",
            gone,
            context=context,
            now_ms=clock.now_ms(session),
        )
        return True
    doomed = [appointment]
    if appointment.is_series:
        doomed += session.scalars(
            for_change(
                select(Appointment).where(
                    Appointment.master_event_id == appointment.id, Appointment.deleted.is_(False)
                )
            )
        )
    now = clock.now_ms(session)
    for item in doomed:
        item.deleted = True
        item.date_updated_ms = now
        save_appointment(session, item)
        appointment_changed(session, "AppointmentDelete", item, context=context, now_ms=now)
    return True


def delete_event(db: Database, context: LocationContext, *, event_id: str) -> None:
    """Appointments and blocked slots share the events namespace."""
    with db.write() as session:
        deleted = delete_appointment(session, context, appointment_id=event_id)
        if not (deleted or blocked_slots.delete_block(session, context.location_id, event_id)):
            raise NotFound("Event not found")


def list_events(
    db: Database, context: LocationContext, query: EventListQuery
) -> list[tuple[Appointment, str | None]]:
    """Appointments and occurrences of series overlapping the range that match any filter,
    by start; cancelled ones included, deleted ones left out. 400 when there are more than
    `MAX_EVENTS` (found with at most one more read or expanded)."""
    matches = []
    if query.calendar_id is not None:
        matches.append(Appointment.calendar_id == query.calendar_id)
    if query.user_id is not None:
        people = select(AppointmentUser.appointment_id).where(
            AppointmentUser.location_id == query.location_id,
            AppointmentUser.user_id == query.user_id,
        )
        matches.append(Appointment.id.in_(people))
    if query.group_id is not None:
        grouped = calendar_ids_in_group(query.location_id, query.group_id)
        matches.append(Appointment.calendar_id.in_(grouped))
    statement = (
        select(Appointment, Calendar.group_id)
        .outerjoin(Calendar, Calendar.id == Appointment.calendar_id)
        .where(
            Appointment.location_id == query.location_id,
            Appointment.deleted.is_(False),
            or_(*matches),
        )
    )
    singles = statement.where(
        Appointment.rrule.is_(None),
        Appointment.start_ms < query.end_ms,
        Appointment.end_ms > query.start_ms,
    )
    series = statement.where(
        Appointment.rrule.is_not(None),
        Appointment.start_ms < query.end_ms,
        or_(Appointment.series_end_ms.is_(None), Appointment.series_end_ms > query.start_ms),
    )
    with db.read() as session:
        found = list(session.execute(singles.limit(MAX_EVENTS + 1)))
        count = len(found)
        check_count(count)
        expanded = []  # the starts first: an answer over the cap builds no occurrence
        for master, group in session.execute(series):
            duration = master.end_ms - master.start_ms
            starts = recurrence.occurrence_starts(
                master.rrule,
                master.start_ms,
                context.zone,
                from_ms=query.start_ms - duration + 1,
                to_ms=query.end_ms - 1,
                exceptions=master.exceptions,
                limit=MAX_EVENTS - count,
            )
            count += len(starts)
            check_count(count)
            expanded.append((master, group, starts))
        for master, group, starts in expanded:
            found += [(occurrence(master, start), group) for start in starts]
    return sorted(
        ((appointment, group) for appointment, group in found),
        key=lambda item: (item[0].start_ms, item[0].id),
    )


# ---- notes ---------------------------------------------------------------------------------


def get_note(session: Session, appointment: Appointment, note_id: str) -> AppointmentNote:
    """A note of the appointment, locked for the change its caller makes."""
    query = select(AppointmentNote).where(
        AppointmentNote.id == note_id, AppointmentNote.appointment_id == appointment.id
    )
    return one_or_not_found(session, query, NOTE_NOT_FOUND, to_change=True)


def list_notes(db: Database, location_id: str, appointment_id: str, *, limit: int, offset: int):
    """Newest first (ties by id), and whether more remain after this page."""
    with db.read() as session:
        get_live_appointment(session, location_id, appointment_id)
        notes = list(
            session.scalars(
                select(AppointmentNote)
                .where(AppointmentNote.appointment_id == appointment_id)
                .order_by(AppointmentNote.date_added_ms.desc(), AppointmentNote.id.desc())
                .offset(offset)
                .limit(limit + 1)
            )
        )
    return notes[:limit], len(notes) > limit


def create_note(db: Database, location_id: str, appointment_id: str, *, dto: NotesDTO):
    with db.write() as session:
        # Locked: a note is never added to an appointment that a concurrent delete removes.
        appointment = get_live_appointment(session, location_id, appointment_id, to_change=True)
        now = clock.now_ms(session)
        note = AppointmentNote(
            id=new_id(),
            appointment_id=appointment.id,
            location_id=location_id,
            contact_id=appointment.contact_id,
            user_id=dto.userId,
            body=dto.body,
            date_added_ms=now,
            date_updated_ms=now,
        )
        session.add(note)
    return note


def update_note(
    db: Database, location_id: str, appointment_id: str, *, note_id: str, dto: NotesDTO
):
    with db.write() as session:
        note = get_note(
            session,
            get_live_appointment(session, location_id, appointment_id, to_change=True),
            note_id,
        )
        note.body = dto.body
        if dto.userId is not None:
            note.user_id = dto.userId
        note.date_updated_ms = clock.now_ms(session)
    return note


def delete_note(db: Database, location_id: str, appointment_id: str, *, note_id: str) -> None:
    """Permanent."""
    with db.write() as session:
        note = get_note(
            session,
            get_live_appointment(session, location_id, appointment_id, to_change=True),
            note_id,
        )
        session.delete(note)
