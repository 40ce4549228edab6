"""Wire shapes of appointments and notes, named after the spec's DTOs."""

from typing import Annotated, Literal

from pydantic import Field

from opencalendars.appointments.models import FREEING_STATUSES, Appointment, AppointmentNote
from opencalendars.http.times import Instant, iso_local, iso_utc_ms
from opencalendars.http.validation import RequestDTO
from opencalendars.zones import zone

NonEmpty = Annotated[str, Field(min_length=1)]
AppointmentStatus = Literal[
    "new", "confirmed", "cancelled", "showed", "noshow", "invalid", "completed", "active"
]
# Who made an appointment through the API with a token.
THIRD_PARTY = {"source": "third_party"}
MeetingLocationType = Literal["custom", "zoom", "gmeet", "phone", "address", "ms_teams", "google"]


class AppointmentFields(RequestDTO):
    """What create and edit share."""

    title: str | None = None
    meetingLocationType: MeetingLocationType | None = None
    meetingLocationId: str | None = None
    overrideLocationConfig: bool | None = None
    appointmentStatus: AppointmentStatus | None = None
    assignedUserId: NonEmpty | None = None
    description: str | None = None
    address: str | None = None
    ignoreDateRange: bool = False
    toNotify: bool | None = None
    ignoreFreeSlotValidation: bool = False
    rrule: str | None = None
    calendarId: NonEmpty | None = None
    startTime: Instant | None = None
    endTime: Instant | None = None


class AppointmentCreateSchema(AppointmentFields):
    calendarId: NonEmpty
    locationId: NonEmpty
    contactId: NonEmpty
    startTime: Instant


class AppointmentEditSchema(AppointmentFields):
    pass


class NotesDTO(RequestDTO):
    userId: str | None = None
    body: Annotated[str, Field(min_length=1, max_length=5000)]


def live_service_fields(appointment: Appointment) -> dict:
    """What the live service answers beside the spec's fields (PRODUCT §12, docs/fidelity.md):
    `status` (`booked` while the appointment takes its time, else its freeing status), the
    misspelled `appoinmentStatus` that clients of the live API read, and `createdBy` with a
    `userId` (none for what a token made through the API)."""
    return {
        "status": "booked" if appointment.status not in FREEING_STATUSES else appointment.status,
        "appoinmentStatus": appointment.status,
        "createdBy": {"userId": None, **appointment.details.get("createdBy", THIRD_PARTY)},
    }


def appointment_dto(appointment: Appointment, timezone: str) -> dict:
    """AppointmentSchemaResponse."""
    details = appointment.details
    answer = {
        "calendarId": appointment.calendar_id,
        "locationId": appointment.location_id,
        "contactId": appointment.contact_id,
        "startTime": iso_local(appointment.start_ms, zone(timezone)),
        "endTime": iso_local(appointment.end_ms, zone(timezone)),
        "title": appointment.title,
        "meetingLocationType": details.get("meetingLocationType", "default"),
        "appointmentStatus": appointment.status,
        "assignedUserId": appointment.assigned_user_id or "",
        "address": details.get("address", ""),
        "isRecurring": is_recurring(appointment),
        "dateAdded": iso_utc_ms(appointment.date_added_ms),
        "dateUpdated": iso_utc_ms(appointment.date_updated_ms),
        "id": appointment.id,
        **live_service_fields(appointment),
    }
    if appointment.rrule is not None:
        answer["rrule"] = appointment.rrule
    return answer


def is_recurring(appointment: Appointment) -> bool:
    """A series, an occurrence of one, or an occurrence edited on its own."""
    return appointment.rrule is not None or appointment.master_event_id is not None


def calendar_event_dto(appointment: Appointment, group_id: str | None, timezone: str) -> dict:
    """CalendarEventDTO, as `GET /calendars/events` and `GET .../appointments/{id}` answer."""
    details = appointment.details
    answer = {
        "id": appointment.id,
        "address": details.get("address", ""),
        "title": appointment.title,
        "calendarId": appointment.calendar_id,
        "locationId": appointment.location_id,
        "contactId": appointment.contact_id,
        "groupId": group_id or "",
        "appointmentStatus": appointment.status,
        "assignedUserId": appointment.assigned_user_id or "",
        "users": appointment.users,
        "isRecurring": is_recurring(appointment),
        "deleted": appointment.deleted,
        "startTime": iso_local(appointment.start_ms, zone(timezone)),
        "endTime": iso_local(appointment.end_ms, zone(timezone)),
        "dateAdded": iso_utc_ms(appointment.date_added_ms),
        "dateUpdated": iso_utc_ms(appointment.date_updated_ms),
        "assignedResources": [],
        **live_service_fields(appointment),
    }
    if "description" in details:
        answer["description"] = details["description"]
    if appointment.rrule is not None:
        answer["rrule"] = appointment.rrule
    if appointment.master_event_id is not None:
        answer["masterEventId"] = appointment.master_event_id
    return answer


def note_dto(note: AppointmentNote) -> dict:
    """GetNoteSchema."""
    answer = {
        "id": note.id,
        "body": note.body,
        "dateAdded": iso_utc_ms(note.date_added_ms),
        "contactId": note.contact_id,
    }
    if note.user_id:
        answer["userId"] = note.user_id
        answer["createdBy"] = {"id": note.user_id}
    return answer
