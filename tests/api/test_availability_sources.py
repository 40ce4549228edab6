"""What the engine will read for a calendar: stored schedules and open hours, resolved."""

from datetime import UTC, datetime

from sqlalchemy import select

from opencalendars.availability.resolver import open_windows
from opencalendars.busy.availability import load_calendar_availability
from opencalendars.calendars.models import Calendar
from opencalendars.calendars.rules import CalendarRules
from opencalendars.db.batch import run_plan

MONDAY = (
    int(datetime(2026, 3, 2, tzinfo=UTC).timestamp() * 1000),
    int(datetime(2026, 3, 3, tzinfo=UTC).timestamp() * 1000),
)


def hhmm(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%H:%M")


def monday_windows(app, tenant, calendar_id, user_id=None):
    with app.state.db.read() as session:
        calendar = session.scalar(select(Calendar).where(Calendar.id == calendar_id))
        loaded = run_plan(session, load_calendar_availability(CalendarRules.of(calendar), "UTC"))
    availability = loaded.calendar if user_id is None else loaded.for_member(user_id)
    return [(hhmm(s), hhmm(e)) for s, e in open_windows(availability, *MONDAY)]


def schedule(tenant, user_id, start, end, calendar_ids=(), zone="UTC"):
    body = {
        "locationId": tenant.location_id,
        "name": f"{user_id} {start}",
        "userId": user_id,
        "timezone": zone,
        "rules": [{"type": "wday", "day": "monday", "intervals": [{"from": start, "to": end}]}],
        "calendarIds": list(calendar_ids),
    }
    response = tenant.post("/calendars/schedules", json=body)
    assert response.status_code == 201, response.text
    return response.json()["schedule"]["id"]


def team_calendar(tenant, calendar_type="round_robin"):
    body = {
        "locationId": tenant.location_id,
        "name": "Team",
        "calendarType": calendar_type,
        "teamMembers": [{"userId": "ann"}, {"userId": "bob"}] if calendar_type != "event" else [],
        "openHours": [
            {
                "daysOfTheWeek": [1],
                "hours": [{"openHour": 8, "openMinute": 0, "closeHour": 10, "closeMinute": 0}],
            }
        ],
    }
    return tenant.post("/calendars/", json=body).json()["calendar"]["id"]


def test_members_use_their_schedule_for_the_calendar_else_its_open_hours(app, tenant):
    calendar_id = team_calendar(tenant)
    schedule(tenant, "ann", "12:00", "14:00", [calendar_id])
    schedule(tenant, "bob", "15:00", "16:00")  # not associated with this calendar
    schedule(tenant, "eve", "06:00", "07:00", [calendar_id])  # not a member

    assert monday_windows(app, tenant, calendar_id, "ann") == [("12:00", "14:00")]
    assert monday_windows(app, tenant, calendar_id, "bob") == [("08:00", "10:00")]
    assert monday_windows(app, tenant, calendar_id) == [("08:00", "10:00")]


def test_moving_an_association_changes_which_schedule_applies(app, tenant):
    calendar_id = team_calendar(tenant)
    first = schedule(tenant, "ann", "12:00", "14:00", [calendar_id])
    schedule(tenant, "ann", "17:00", "18:00", [calendar_id])

    assert monday_windows(app, tenant, calendar_id, "ann") == [("17:00", "18:00")]
    tenant.put(f"/calendars/schedules/{first}/associations/{calendar_id}")
    assert monday_windows(app, tenant, calendar_id, "ann") == [("12:00", "14:00")]


def test_an_event_calendar_schedule_replaces_open_hours_in_its_own_zone(app, tenant):
    calendar_id = team_calendar(tenant, "event")
    tenant.post(
        f"/calendars/schedules/event-calendar/{calendar_id}",
        json={
            "timezone": "Asia/Kolkata",
            "rules": [
                {"type": "wday", "day": "monday", "intervals": [{"from": "09:00", "to": "10:30"}]}
            ],
        },
    )

    assert monday_windows(app, tenant, calendar_id) == [("03:30", "05:00")]
