"""The appointments API: create, edit, read, delete, list events, notes (PRODUCT §5)."""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from opencalendars import clock
from opencalendars.appointments import booking
from opencalendars.appointments.models import Appointment, AppointmentNote, AppointmentUser
from opencalendars.appointments.schemas import (
    AppointmentCreateSchema,
    AppointmentEditSchema,
    NotesDTO,
)
from opencalendars.appointments.store import save_appointment
from opencalendars.blocked_slots import service as blocked_slots
from opencalendars.calendars.models import Calendar
from opencalendars.calendars.service import calendar_ids_in_group, get_live_calendar
from opencalendars.db.database import Database
from opencalendars.db.locks import person_key
from opencalendars.http.errors import BadRequest, NotFound
from opencalendars.http.event_lists import EventListQuery
from opencalendars.http.ids import new_id
from opencalendars.http.times import body_instant_ms
from opencalendars.zones import zone

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


def get_live_appointment(session: Session, location_id: str, appointment_id: str) -> Appointment:
    appointment = session.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id,
            Appointment.location_id == location_id,
            Appointment.deleted.is_(False),
        )
    )
    if appointment is None:
        raise NotFound(APPOINTMENT_NOT_FOUND)
    return appointment


def meeting_location(calendar: Calendar, assigned_user_id: str | None, fields: dict) -> dict:
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
    member = next(
        (m for m in calendar.settings.get("teamMembers", []) if m["userId"] == assigned_user_id),
        {},
    )
    configurations = member.get("locationConfigurations") or calendar.settings.get(
        "locationConfigurations", []
    )
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


def refuse_rrule(dto) -> None:
    # Recurring series are not built yet: refusing is better than silently booking one.
    if dto.rrule is not None:
        raise BadRequest(["rrule: recurring appointments are not supported by this server yet"])


def create_appointment(db: Database, location_zone: str, dto: AppointmentCreateSchema):
    refuse_rrule(dto)
    zone_info = zone(location_zone)
    start_ms = body_instant_ms("startTime", dto.startTime, zone_info)
    with db.write() as session:
        calendar = get_live_calendar(session, dto.locationId, dto.calendarId)
        end_ms = (
            body_instant_ms("endTime", dto.endTime, zone_info)
            if dto.endTime is not None
            else start_ms + booking.slot_length_ms(calendar)
        )
        assigned, users = booking.book(
            session,
            calendar,
            location_zone,
            dto.assignedUserId,
            start_ms,
            end_ms,
            validate=not dto.ignoreFreeSlotValidation,
            ignore_date_range=dto.ignoreDateRange,
        )
        fields = dto.model_dump(exclude_unset=True)
        now = clock.now_ms(session)
        auto_confirm = calendar.settings.get("autoConfirm", True)
        appointment = Appointment(
            id=new_id(),
            location_id=dto.locationId,
            calendar_id=calendar.id,
            assigned_user_id=assigned,
            users=users,
            contact_id=dto.contactId,
            title=dto.title or calendar.name,
            status=dto.appointmentStatus or ("confirmed" if auto_confirm else "new"),
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
        )
        save_appointment(session, appointment)
    return appointment


def update_appointment(
    db: Database,
    location_id: str,
    location_zone: str,
    appointment_id: str,
    dto: AppointmentEditSchema,
):
    """Partial. Moving the time, the calendar or the assignee is checked again (the appointment
    does not count against itself) unless `ignoreFreeSlotValidation`."""
    refuse_rrule(dto)
    fields = dto.model_dump(exclude_unset=True)
    zone_info = zone(location_zone)
    with db.write() as session:
        appointment = get_live_appointment(session, location_id, appointment_id)
        calendar = get_live_calendar(
            session, location_id, dto.calendarId or appointment.calendar_id
        )
        start_ms = (
            body_instant_ms("startTime", dto.startTime, zone_info)
            if dto.startTime is not None
            else appointment.start_ms
        )
        if dto.endTime is not None:
            end_ms = body_instant_ms("endTime", dto.endTime, zone_info)
        elif dto.startTime is not None:
            end_ms = start_ms + (appointment.end_ms - appointment.start_ms)
        else:
            end_ms = appointment.end_ms
        moved = (
            start_ms != appointment.start_ms
            or end_ms != appointment.end_ms
            or calendar.id != appointment.calendar_id
            or ("assignedUserId" in fields and dto.assignedUserId != appointment.assigned_user_id)
        )
        if moved:
            wanted = dto.assignedUserId if "assignedUserId" in fields else None
            if wanted is None and calendar.id == appointment.calendar_id:
                # Keep the assignee when only the time moves, if they are still a member.
                members = [m["userId"] for m in calendar.settings.get("teamMembers", [])]
                if appointment.assigned_user_id in members and calendar.calendar_type != "event":
                    wanted = appointment.assigned_user_id
            previous = [person_key(location_id, user) for user in appointment.people]
            assigned, users = booking.book(
                session,
                calendar,
                location_zone,
                wanted,
                start_ms,
                end_ms,
                validate=not dto.ignoreFreeSlotValidation,
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
        appointment.date_updated_ms = clock.now_ms(session)
        save_appointment(session, appointment)
    return appointment


def read_appointment(db: Database, location_id: str, appointment_id: str):
    """The appointment and its calendar's group (deleted calendars' appointments stay readable)."""
    with db.read() as session:
        appointment = get_live_appointment(session, location_id, appointment_id)
        group_id = session.scalar(
            select(Calendar.group_id).where(Calendar.id == appointment.calendar_id)
        )
    return appointment, group_id


def delete_appointment(session: Session, location_id: str, appointment_id: str) -> bool:
    """Soft delete: kept, never shown again, frees its time. False when there is no such live
    appointment (the id may be a blocked slot's)."""
    appointment = session.scalar(
        select(Appointment).where(
            Appointment.id == appointment_id,
            Appointment.location_id == location_id,
            Appointment.deleted.is_(False),
        )
    )
    if appointment is None:
        return False
    appointment.deleted = True
    appointment.date_updated_ms = clock.now_ms(session)
    save_appointment(session, appointment)
    return True


def delete_event(db: Database, location_id: str, event_id: str) -> None:
    """Appointments and blocked slots share the events namespace."""
    with db.write() as session:
        deleted = delete_appointment(session, location_id, event_id)
        if not (deleted or blocked_slots.delete_block(session, location_id, event_id)):
            raise NotFound("Event not found")


def list_events(db: Database, query: EventListQuery) -> list[tuple[Appointment, str | None]]:
    """Appointments overlapping the range that match any filter, by start; cancelled ones
    included, deleted ones left out."""
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
            Appointment.start_ms < query.end_ms,
            Appointment.end_ms > query.start_ms,
            or_(*matches),
        )
        .order_by(Appointment.start_ms, Appointment.id)
    )
    with db.read() as session:
        return [(appointment, group) for appointment, group in session.execute(statement)]


# ---- notes ---------------------------------------------------------------------------------


def get_note(session: Session, appointment: Appointment, note_id: str) -> AppointmentNote:
    note = session.scalar(
        select(AppointmentNote).where(
            AppointmentNote.id == note_id, AppointmentNote.appointment_id == appointment.id
        )
    )
    if note is None:
        raise NotFound(NOTE_NOT_FOUND)
    return note


def list_notes(db: Database, location_id: str, appointment_id: str, limit: int, offset: int):
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


def create_note(db: Database, location_id: str, appointment_id: str, dto: NotesDTO):
    with db.write() as session:
        appointment = get_live_appointment(session, location_id, appointment_id)
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


def update_note(db: Database, location_id: str, appointment_id: str, note_id: str, dto: NotesDTO):
    with db.write() as session:
        note = get_note(
            session, get_live_appointment(session, location_id, appointment_id), note_id
        )
        note.body = dto.body
        if dto.userId is not None:
            note.user_id = dto.userId
        note.date_updated_ms = clock.now_ms(session)
    return note


def delete_note(db: Database, location_id: str, appointment_id: str, note_id: str) -> None:
    """Permanent."""
    with db.write() as session:
        note = get_note(
            session, get_live_appointment(session, location_id, appointment_id), note_id
        )
        session.delete(note)
