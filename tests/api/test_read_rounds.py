"""Reads in rounds (db/batch.py): free slots and bookings send their independent reads together,
one round trip a round on PostgreSQL (psycopg's pipeline mode), and the answers are the same
as reading one statement after another."""

import pytest

from events.booking import book
from opencalendars.appointments.schemas import AppointmentCreateSchema
from opencalendars.appointments.service import appointment_creation
from opencalendars.context import LocationContext
from opencalendars.db.batch import after, done, drive, fetch_round, single, together
from opencalendars.db.locks import booking_locks
from opencalendars.db.prepared import session_connection
from opencalendars.errors import NotFound
from opencalendars.http.times import BodyTimes
from opencalendars.slots.service import (
    FreeSlotsQuery,
    calendar_and_clock,
    free_slot_inputs,
    slots_asked,
)

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MONDAY_MS = 1_893_974_400_000  # 2030-01-07T00:00:00Z
ALL_DAY = {"openHour": 0, "openMinute": 0, "closeHour": 0, "closeMinute": 0}
AROUND_THE_CLOCK = [{"daysOfTheWeek": [0, 1, 2, 3, 4, 5, 6], "hours": [ALL_DAY]}]
TEAM = ["ana", "bo", "cy"]


@pytest.fixture(autouse=True)
def new_year(frozen_clock):
    frozen_clock("2030-01-01T00:00:00Z")


def created(tenant, members=TEAM, **settings) -> str:
    response = tenant.post(
        "/calendars/",
        json={
            "locationId": tenant.location_id,
            "name": "Team",
            "calendarType": "round_robin",
            "teamMembers": [{"userId": user} for user in members],
            "openHours": AROUND_THE_CLOCK,
            "slotDuration": 60,
            "slotInterval": 60,
            **settings,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["calendar"]["id"]


def rounds_of(app, plan):
    """The plan's value, and how many fetches each of its rounds sent, run in a read
    transaction on the suite's database (SQLite, or PostgreSQL pipelined)."""
    sent: list[int] = []
    with app.state.db.read() as session:
        dialect, connection = session_connection(session)

        def counted(fetches):
            sent.append(len(fetches))
            return fetch_round(dialect, connection, fetches)

        return drive(plan, counted), sent


def query(days: int = 1) -> FreeSlotsQuery:
    return FreeSlotsQuery(MONDAY_MS, MONDAY_MS + days * DAY_MS, "UTC", [], False)


def slot_reads(context: LocationContext, calendar_id: str):
    """A free-slots request's reads as one plan: the calendar and the clock, then its inputs."""
    calendar, now_ms = yield from calendar_and_clock(context, calendar_id)
    asked = slots_asked(context, calendar, now_ms=now_ms, query=query())
    return (yield from free_slot_inputs(context, asked, query=query()))


def test_a_teams_free_slots_are_read_in_two_rounds(app, tenant):
    calendar_id = created(tenant)
    book(tenant, calendar_id, MONDAY_MS + 10 * HOUR_MS, assignedUserId="bo")
    context = LocationContext(tenant.location_id, "UTC")

    inputs, sent = rounds_of(app, slot_reads(context, calendar_id))

    # The calendar, its location's longest buffer and the clock; then the schedules (members',
    # the calendar's own), blocks, appointments (those of over a day apart), series, service
    # bookings and synced busy time, all at once.
    assert sent == [3, 8]
    assert [person.key for person in inputs.persons] == TEAM
    bo = inputs.persons[1]
    assert bo.same == [(MONDAY_MS + 10 * HOUR_MS, MONDAY_MS + 11 * HOUR_MS)]


def test_another_calendars_buffers_take_a_third_round_only_when_needed(app, tenant):
    calendar_id = created(tenant)
    other_id = created(tenant, members=["bo"], slotBuffer=30)
    book(tenant, other_id, MONDAY_MS + 10 * HOUR_MS, assignedUserId="bo")
    context = LocationContext(tenant.location_id, "UTC")

    inputs, sent = rounds_of(app, slot_reads(context, calendar_id))

    assert sent == [3, 8, 1]
    bo = inputs.persons[1]
    # Widened by the other calendar's own buffer after it (slotBuffer, PRODUCT §4.3).
    assert bo.blocking == [(MONDAY_MS + 10 * HOUR_MS, MONDAY_MS + 11 * HOUR_MS + 30 * 60_000)]
    slots = tenant.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": MONDAY_MS, "endDate": MONDAY_MS + DAY_MS - 1, "userId": "bo"},
    ).json()
    starts = slots["2030-01-07"]["slots"]
    assert "2030-01-07T10:00:00+00:00" not in starts and "2030-01-07T11:00:00+00:00" not in starts
    assert "2030-01-07T09:00:00+00:00" in starts and "2030-01-07T12:00:00+00:00" in starts


def booking_rounds(app, tenant, calendar_id: str) -> tuple:
    """`rounds_of` a booking of Monday 01:00 UTC on the calendar: (its `Written`, round sizes)."""
    body = AppointmentCreateSchema(
        calendarId=calendar_id,
        locationId=tenant.location_id,
        contactId="c-1",
        startTime=str(MONDAY_MS + HOUR_MS),
    )
    plan = appointment_creation(
        LocationContext(tenant.location_id, "UTC"),
        body,
        times=BodyTimes(MONDAY_MS + HOUR_MS, None),
        dialect=app.state.db.engine.dialect,
    )
    return rounds_of(app, plan)


def test_a_booking_reads_in_two_rounds_and_writes_in_a_third(app, tenant):
    dialect = app.state.db.engine.dialect
    written, sent = booking_rounds(app, tenant, created(tenant))

    # The calendar, its location's longest buffer and the clock (what the calendar's next
    # booking reads again: db/loop_writes.py guesses it); then the contact, the locks, the
    # checks (8 reads and round robin's last bookings) and what the booking's events read
    # (subscriptions, notifications, write-back connections): its writes come after.
    locks = len(booking_locks(dialect, ["one"]))
    assert sent == [3, 1 + locks + 9 + 3]
    assert written.value.assigned_user_id in TEAM
    appointment, person = written.writes  # its row, the row of the one person it occupies
    assert appointment.parameters["id"] == person.parameters["appointment_id"] == written.value.id
    assert person.parameters["user_id"] == written.value.assigned_user_id


def test_a_booking_that_sends_a_notification_reads_no_more_rounds(app, tenant):
    calendar_id = created(tenant)
    booked_email = {
        "receiverType": "contact",
        "channel": "email",
        "notificationType": "booked",
        "body": "Booked: {{contact.name}}",
    }
    notifying = tenant.post(f"/calendars/{calendar_id}/notifications", json=[booked_email])
    assert notifying.status_code == 200, notifying.text
    dialect = app.state.db.engine.dialect
    written, sent = booking_rounds(app, tenant, calendar_id)

    # The contact its text names was read with the checks: no round of its own.
    assert sent == [3, 1 + len(booking_locks(dialect, ["one"])) + 9 + 3]
    _appointment, _person, message = written.writes
    assert message.parameters["topic"] == "booked"
    assert message.parameters["payload"]["channel"] == "email"


def test_a_missing_calendar_is_a_404_after_the_first_round(app, tenant):
    context = LocationContext(tenant.location_id, "UTC")
    with pytest.raises(NotFound):
        rounds_of(app, slot_reads(context, "nope"))


def plan_of(name: str, rounds: int, log: list):
    """A plan of `rounds` rounds of one fetch each (a stand-in value), logging what it got."""
    for number in range(rounds):
        (got,) = yield [f"{name}{number}"]
        log.append(got)
    return name


def test_together_sends_the_rounds_of_every_plan_at_once():
    log: list = []
    sent: list = []

    def answer(fetches):
        sent.append(list(fetches))
        return [fetch.upper() for fetch in fetches]

    values = drive(
        together(plan_of("a", 1, log), done("b"), plan_of("c", 3, log), single("d0")), answer
    )

    assert values == ("a", "b", "c", "D0")
    assert sent == [["a0", "c0", "d0"], ["c1"], ["c2"]]
    assert log == ["A0", "C0", "C1", "C2"]


def test_a_plans_failure_stops_the_others():
    def failing():
        yield ["x"]
        raise ValueError("no such thing")

    with pytest.raises(ValueError):
        drive(together(failing(), plan_of("a", 2, [])), lambda fetches: list(fetches))


def test_what_goes_after_the_locks_goes_in_their_round():
    sent: list = []

    def answer(fetches):
        sent.append(list(fetches))
        return [fetch.upper() for fetch in fetches]

    log: list = []
    assert drive(after(["lock"], plan_of("a", 2, log)), answer) == "a"
    assert sent == [["lock", "a0"], ["a1"]]
    assert log == ["A0", "A1"]

    sent.clear()
    # A check that reads nothing still takes the locks; no locks, no round.
    assert drive(after(["lock"], done("b")), answer) == "b"
    assert drive(after([], done("c")), answer) == "c"
    assert sent == [["lock"]]
