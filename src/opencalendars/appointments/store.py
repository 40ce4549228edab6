"""Appointment storage: every write goes through `save_appointment`, so that
`appointment_users` (the busy index `busy/appointments.py` reads) never drifts.
"""

from sqlalchemy import bindparam, delete, insert, inspect
from sqlalchemy.orm import Session

from opencalendars.appointments.models import Appointment, AppointmentUser

_appointment_users = AppointmentUser.__table__
_FORGET_PEOPLE = delete(_appointment_users).where(
    _appointment_users.c.appointment_id == bindparam("appointment_id")
)
_REMEMBER_PEOPLE = insert(_appointment_users)


def save_appointment(session: Session, appointment: Appointment) -> None:
    """Insert or update an appointment and rewrite who it occupies. A recurring series is read
    from `appointments` itself (`occupying_series`), so it has no rows here. The rows of
    `appointment_users` are plain Core statements: nothing reads them as ORM objects, and
    the unit of work cost a booking more than the rest of its write."""
    is_new = inspect(appointment).transient
    session.add(appointment)
    session.flush()
    connection = session.connection()
    if not is_new:  # a new appointment has no rows to forget: a round trip saved per booking
        connection.execute(_FORGET_PEOPLE, {"appointment_id": appointment.id})
    if appointment.is_series or not appointment.people:
        return
    connection.execute(
        _REMEMBER_PEOPLE,
        [
            {
                "appointment_id": appointment.id,
                "user_id": user_id,
                "location_id": appointment.location_id,
                "calendar_id": appointment.calendar_id,
                "start_ms": appointment.start_ms,
                "end_ms": appointment.end_ms,
                "occupies": appointment.occupies,
            }
            for user_id in appointment.people
        ],
    )
