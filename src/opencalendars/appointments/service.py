"""Appointments: storage and the busy times the availability engine reads.

The booking API (validation against the engine, assignment, the booking lock) builds on
`save_appointment`; every write goes through it so that `appointment_users` never drifts.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from opencalendars.appointments.models import FREEING_STATUSES, Appointment, AppointmentUser

# The longest an appointment may last. Busy-time reads look this far back for appointments
# that started before a range and still run into it, so they stay indexed range scans.
MAX_APPOINTMENT_MS = 31 * 24 * 3_600_000


def save_appointment(session: Session, appointment: Appointment) -> None:
    """Insert or update an appointment and rewrite who it occupies."""
    session.add(appointment)
    session.flush()
    session.execute(delete(AppointmentUser).where(AppointmentUser.appointment_id == appointment.id))
    session.add_all(
        AppointmentUser(
            appointment_id=appointment.id,
            user_id=user_id,
            location_id=appointment.location_id,
            calendar_id=appointment.calendar_id,
            start_ms=appointment.start_ms,
            end_ms=appointment.end_ms,
            occupies=appointment.occupies,
        )
        for user_id in appointment.people
    )


@dataclass(frozen=True)
class BusyAppointment:
    user_id: str | None  # None: read by calendar (an event calendar's own appointments)
    calendar_id: str
    start_ms: int
    end_ms: int


def occupying_for_users(
    session: Session, location_id: str, user_ids: Iterable[str], start_ms: int, end_ms: int
) -> list[BusyAppointment]:
    """Occupying appointments of these people, in any calendar, that overlap the range."""
    user_ids = list(user_ids)
    if not user_ids:
        return []
    rows = session.execute(
        select(
            AppointmentUser.user_id,
            AppointmentUser.calendar_id,
            AppointmentUser.start_ms,
            AppointmentUser.end_ms,
        ).where(
            AppointmentUser.location_id == location_id,
            AppointmentUser.user_id.in_(user_ids),
            AppointmentUser.start_ms < end_ms,
            AppointmentUser.start_ms > start_ms - MAX_APPOINTMENT_MS,
            AppointmentUser.end_ms > start_ms,
            AppointmentUser.occupies.is_(True),
        )
    )
    return [BusyAppointment(*row) for row in rows]


def occupying_in_calendar(
    session: Session, location_id: str, calendar_id: str, start_ms: int, end_ms: int
) -> list[BusyAppointment]:
    """Occupying appointments of one calendar that overlap the range, whoever holds them."""
    rows = session.execute(
        select(Appointment.start_ms, Appointment.end_ms).where(
            Appointment.location_id == location_id,
            Appointment.calendar_id == calendar_id,
            Appointment.start_ms < end_ms,
            Appointment.start_ms > start_ms - MAX_APPOINTMENT_MS,
            Appointment.end_ms > start_ms,
            Appointment.deleted.is_(False),
            Appointment.status.not_in(FREEING_STATUSES),
        )
    )
    return [BusyAppointment(None, calendar_id, start, end) for start, end in rows]
