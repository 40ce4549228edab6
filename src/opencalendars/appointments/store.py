"""Appointment storage: every write goes through `save_appointment`, so that
`appointment_users` (the busy index `busy/appointments.py` reads) never drifts.
"""

from sqlalchemy import Connection, bindparam, delete, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from opencalendars.appointments.models import Appointment, AppointmentUser

_appointment_users = AppointmentUser.__table__
_FORGET_PEOPLE = delete(_appointment_users).where(
    _appointment_users.c.appointment_id == bindparam("appointment_id")
)
_REMEMBER_PEOPLE = insert(_appointment_users)
_INSERT_APPOINTMENT = insert(Appointment.__table__)


def _unset_value(attribute) -> object:
    """What a new appointment's unset column is inserted as: its scalar default, or None."""
    default = attribute.columns[0].default
    if default is None:
        return None
    if not default.is_scalar:
        raise TypeError(f"insert_new cannot apply the default of {attribute.key}")
    return default.arg


# (attribute, its value when unset) of every column: a new appointment is inserted from these.
_COLUMNS = [
    (attribute.key, _unset_value(attribute)) for attribute in inspect(Appointment).column_attrs
]


def save_appointment(session: Session, appointment: Appointment) -> None:
    """Insert or update an appointment and rewrite who it occupies. A recurring series is read
    from `appointments` itself (`occupying_series`), so it has no rows here. The rows of
    `appointment_users` are plain Core statements: nothing reads them as ORM objects, and
    the unit of work cost a booking more than the rest of its write."""
    connection = session.connection()
    if inspect(appointment).transient:
        # Nothing to forget for a new appointment: a round trip saved per booking.
        insert_new(session, connection, appointment)
    else:
        session.add(appointment)
        session.flush()
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


def insert_new(session: Session, connection: Connection, appointment: Appointment) -> None:
    """A new appointment's row by one Core statement, then the object attached to the session
    as if it had been read back: a later change in the same transaction (an occurrence detached
    from its series, then edited) is flushed as an UPDATE. The unit of work's insert cost a
    booking about as much as its checks' engine run. Every column is set on the object first
    (unset ones to their defaults), so no attribute is left to load."""
    values = {}
    for key, default in _COLUMNS:
        if key not in appointment.__dict__:
            setattr(appointment, key, default)
        values[key] = appointment.__dict__[key]
    connection.execute(_INSERT_APPOINTMENT, values)
    make_transient_to_detached(appointment)
    session.add(appointment)
