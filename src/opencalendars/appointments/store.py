"""Appointment storage: every write goes through `save_appointment` (or, for a booking,
`appointment_rows`), so that `appointment_users` (the busy index `busy/appointments.py`
reads) never drifts.
"""

from sqlalchemy import bindparam, delete, insert, inspect
from sqlalchemy.orm import Session, make_transient_to_detached

from opencalendars.appointments.models import Appointment, AppointmentUser
from opencalendars.db.batch import Fetch, run_statements
from opencalendars.db.prepared import PreparedRead

_appointments = Appointment.__table__
_appointment_users = AppointmentUser.__table__
_FORGET_PEOPLE = delete(_appointment_users).where(
    _appointment_users.c.appointment_id == bindparam("appointment_id")
)
# Built once: a new appointment's row, and a row per person it occupies, as statements of a
# plan's round (db/batch.py), run on the DBAPI connection like the hot reads. Through
# SQLAlchemy's `Connection.execute` each cost a booking ~0.27 ms of Python, and on PostgreSQL a
# round trip of its own. RETURNING makes every engine answer them as it answers a read.
_INSERT_APPOINTMENT = PreparedRead(insert(_appointments).returning(_appointments.c.id), named=False)
_REMEMBER_PERSON = PreparedRead(
    insert(_appointment_users).returning(_appointment_users.c.user_id), named=False
)


def _unset_value(attribute) -> object:
    """What a new appointment's unset column is inserted as: its scalar default, or None."""
    default = attribute.columns[0].default
    if default is None:
        return None
    if not default.is_scalar:
        raise TypeError(f"appointment_rows cannot apply the default of {attribute.key}")
    return default.arg


# (attribute, its value when unset) of every column: a new appointment is inserted from these.
_COLUMNS = [
    (attribute.key, _unset_value(attribute)) for attribute in inspect(Appointment).column_attrs
]


def save_appointment(session: Session, appointment: Appointment) -> None:
    """Insert or update an appointment and rewrite who it occupies. A recurring series is read
    from `appointments` itself (`occupying_series`), so it has no rows here. The rows of
    `appointment_users` are plain statements: nothing reads them as ORM objects, and the unit
    of work cost a booking more than the rest of its write."""
    if inspect(appointment).transient:
        # Nothing to forget for a new appointment: its statements in one round.
        run_statements(session, new_appointment_rows(session, appointment))
        return
    session.add(appointment)
    session.flush()
    session.connection().execute(_FORGET_PEOPLE, {"appointment_id": appointment.id})
    run_statements(session, _people_rows(appointment))


def new_appointment_rows(session: Session, appointment: Appointment) -> list[Fetch]:
    """`appointment_rows`, with the object attached to the session as if read back: a later
    change in the same transaction (an occurrence detached from its series, then edited) is
    flushed as an UPDATE."""
    rows = appointment_rows(appointment)
    make_transient_to_detached(appointment)
    session.add(appointment)
    return rows


def appointment_rows(appointment: Appointment) -> list[Fetch]:
    """The statements that store a new appointment, its row and a row per person it occupies,
    for a round of a plan: `save_appointment` sends them alone, a booking with the messages it
    queues, in the pipeline that commits it on PostgreSQL (`appointments.service`). Every
    column is set on the object first (unset ones to their defaults), so no attribute is left
    to load."""
    values = {}
    for key, default in _COLUMNS:
        if key not in appointment.__dict__:
            setattr(appointment, key, default)
        values[key] = appointment.__dict__[key]
    return [Fetch(_INSERT_APPOINTMENT, values), *_people_rows(appointment)]


def _people_rows(appointment: Appointment) -> list[Fetch]:
    if appointment.is_series or not appointment.people:
        return []
    return [
        Fetch(
            _REMEMBER_PERSON,
            {
                "appointment_id": appointment.id,
                "user_id": user_id,
                "location_id": appointment.location_id,
                "calendar_id": appointment.calendar_id,
                "start_ms": appointment.start_ms,
                "end_ms": appointment.end_ms,
                "occupies": appointment.occupies,
            },
        )
        for user_id in appointment.people
    ]
