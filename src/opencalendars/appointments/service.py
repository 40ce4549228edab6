"""Appointments: storage and the busy times the availability engine reads.

The booking API (validation against the engine, assignment, the booking lock) builds on
`save_appointment`; every write goes through it so that `appointment_users` never drifts.
"""

from collections.abc import Iterable
from typing import NamedTuple

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


class BusyAppointment(NamedTuple):
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
    people = AppointmentUser.__table__.c
    # A Core select of plain tuples: this is the hot path of free slots and booking.
    rows = session.connection().execute(
        select(people.user_id, people.calendar_id, people.start_ms, people.end_ms).where(
            people.location_id == location_id,
            people.user_id.in_(user_ids),
            people.start_ms < end_ms,
            people.start_ms > start_ms - MAX_APPOINTMENT_MS,
            people.end_ms > start_ms,
            people.occupies.is_(True),
        )
    )
    return [BusyAppointment._make(row) for row in rows]


def occupying_in_calendar(
    session: Session, location_id: str, calendar_id: str, start_ms: int, end_ms: int
) -> list[BusyAppointment]:
    """Occupying appointments of one calendar that overlap the range, whoever holds them."""
    table = Appointment.__table__.c
    rows = session.connection().execute(
        select(table.start_ms, table.end_ms).where(
            table.location_id == location_id,
            table.calendar_id == calendar_id,
            table.start_ms < end_ms,
            table.start_ms > start_ms - MAX_APPOINTMENT_MS,
            table.end_ms > start_ms,
            table.deleted.is_(False),
            table.status.not_in(FREEING_STATUSES),
        )
    )
    return [BusyAppointment(None, calendar_id, start, end) for start, end in rows]
