"""Helpers for free-slot tests: calendars with schedules, seeded appointments, answers."""

import re
from datetime import datetime

from opencalendars.appointments.models import Appointment
from opencalendars.appointments.store import save_appointment
from opencalendars.availability import recurrence
from opencalendars.ids import new_id

ZONE = "America/New_York"


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def make_calendar(
    tenant,
    calendar_type="personal",
    members=("ann",),
    hours=(("09:00", "12:00"),),
    days=("monday",),
    **settings,
):
    """A calendar whose members (or, for event calendars, the calendar) work `hours` on `days`."""
    members = list(members) if calendar_type != "event" or settings.get("teamMembers") else []
    team = settings.pop("teamMembers", [{"userId": user} for user in members])
    if calendar_type == "collective":
        team[0]["isPrimary"] = True
    body = {
        "locationId": tenant.location_id,
        "name": f"{calendar_type} calendar",
        "calendarType": calendar_type,
        "teamMembers": team,
        **settings,
    }
    created = tenant.post("/calendars/", json=body)
    assert created.status_code == 200, created.text
    calendar_id = created.json()["calendar"]["id"]
    rules = [
        {"type": "wday", "day": day, "intervals": [{"from": f, "to": t} for f, t in hours]}
        for day in days
    ]
    if calendar_type == "event":
        response = tenant.post(
            f"/calendars/schedules/event-calendar/{calendar_id}",
            json={"timezone": ZONE, "rules": rules},
        )
        assert response.status_code == 201, response.text
    for member in team:
        give_schedule(tenant, member["userId"], calendar_id, rules)
    return calendar_id


def give_schedule(tenant, user_id, calendar_id, rules, zone=ZONE):
    response = tenant.post(
        "/calendars/schedules",
        json={
            "locationId": tenant.location_id,
            "name": f"{user_id} hours",
            "userId": user_id,
            "timezone": zone,
            "rules": rules,
            "calendarIds": [calendar_id],
        },
    )
    assert response.status_code == 201, response.text


def seed_appointment(app, tenant, calendar_id, user_id, start, end, status="confirmed", users=()):
    """An appointment written through the service layer (the booking API is another area)."""
    with app.state.db.write() as session:
        save_appointment(
            session,
            appointment(
                tenant.location_id,
                calendar_id,
                user_id,
                (ms(start), ms(end)),
                status=status,
                users=users,
            ),
        )


def appointment(
    location_id, calendar_id, user_id, span: tuple[int, int], *, status="confirmed", users=()
) -> Appointment:
    """A new appointment over `span` (epoch milliseconds), for `save_appointment`."""
    return Appointment(
        id=new_id(),
        location_id=location_id,
        calendar_id=calendar_id,
        assigned_user_id=user_id,
        users=list(users),
        contact_id="contact-1",
        title="Seeded",
        status=status,
        start_ms=span[0],
        end_ms=span[1],
        deleted=False,
        details={},
        date_added_ms=0,
        date_updated_ms=0,
    )


def free(tenant, calendar_id, start="2026-03-02", end=None, **params):
    response = tenant.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": start, "endDate": end or start, **params},
    )
    assert response.status_code == 200, response.text
    return response.json()


def offered(tenant, calendar_id: str, day: str) -> list[str]:
    """The starts offered on one New York day, as the API writes them (none: [])."""
    return free(tenant, calendar_id, day, timezone=ZONE).get(day, {}).get("slots", [])


def times(answer: dict) -> list[str]:
    """All offered slots as local HH:MM (for one-day answers)."""
    return [slot[11:16] for day in answer.values() for slot in day["slots"]]


def count_period_work(monkeypatch) -> list:
    """Each period the expansion looks at, recorded (the real step still runs)."""
    calls = []
    real = recurrence._period_days

    def counted(parsed, low, high):
        calls.append(high - low)
        return real(parsed, low, high)

    monkeypatch.setattr(recurrence, "_period_days", counted)
    return calls


def tables_of(sql: str) -> set[str]:
    """The tables a statement names."""
    return set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)\b", sql)) - {"unnest", "LATERAL"}


def book(tenant, calendar_id: str, start: str, contact_id: str, **fields) -> str:
    """A booking's id (validated unless `fields` say otherwise)."""
    body = {
        "calendarId": calendar_id,
        "locationId": tenant.location_id,
        "contactId": contact_id,
        "startTime": start,
        **fields,
    }
    booked = tenant.post("/calendars/events/appointments", json=body)
    assert booked.status_code == 200, booked.text
    return booked.json()["id"]
