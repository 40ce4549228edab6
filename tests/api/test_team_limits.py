"""What a team may cost: at most 100 members, free slots with a bounded candidate grid, and
bookings whose reads do not grow a column per member (docs/calendars.md, docs/availability.md)."""

import pytest

from opencalendars.appointments.booking import last_booked
from opencalendars.calendars.schemas import MAX_TEAM_MEMBERS
from opencalendars.calendars.service import read_live_calendar
from opencalendars.db.batch import run_plan, single
from opencalendars.slots.service import MAX_GRID_POINTS

TEAM = [f"member-{n:03d}" for n in range(MAX_TEAM_MEMBERS)]
DAY_MS = 86_400_000
MONDAY_MS = 1_893_974_400_000  # 2030-01-07T00:00:00Z
ALL_DAY = {"openHour": 0, "openMinute": 0, "closeHour": 0, "closeMinute": 0}
AROUND_THE_CLOCK = [{"daysOfTheWeek": [0, 1, 2, 3, 4, 5, 6], "hours": [ALL_DAY]}]
TOO_LONG = "The date range is too long for this calendar's slot interval and team: ask for at most"


@pytest.fixture(autouse=True)
def new_year(frozen_clock):
    frozen_clock("2030-01-01T00:00:00Z")


def team_calendar(tenant, members=TEAM, **settings) -> dict:
    """A round robin whose members all work around the clock (the calendar's open hours)."""
    return {
        "locationId": tenant.location_id,
        "name": "Team",
        "calendarType": "round_robin",
        "teamMembers": [{"userId": user} for user in members],
        "openHours": AROUND_THE_CLOCK,
        **settings,
    }


def created(tenant, **settings) -> str:
    response = tenant.post("/calendars/", json=team_calendar(tenant, **settings))
    assert response.status_code == 200, response.text
    return response.json()["calendar"]["id"]


def book(tenant, calendar_id, start_ms: int) -> dict:
    response = tenant.post(
        "/calendars/events/appointments",
        json={
            "calendarId": calendar_id,
            "locationId": tenant.location_id,
            "contactId": "contact-1",
            "startTime": start_ms,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


def free_slots(tenant, calendar_id, days: int, **params):
    return tenant.get(
        f"/calendars/{calendar_id}/free-slots",
        params={"startDate": MONDAY_MS, "endDate": MONDAY_MS + days * DAY_MS - 1, **params},
    )


def test_a_team_has_at_most_100_members(tenant):
    too_many = [*TEAM, "one-more"]

    refused = tenant.post("/calendars/", json=team_calendar(tenant, members=too_many))
    calendar_id = created(tenant)
    update = tenant.put(
        f"/calendars/{calendar_id}", json={"teamMembers": [{"userId": u} for u in too_many]}
    )

    message = [f"teamMembers must contain no more than {MAX_TEAM_MEMBERS} elements"]
    assert (refused.status_code, refused.json()["message"]) == (400, message)
    assert (update.status_code, update.json()["message"]) == (400, message)
    stored = tenant.get(f"/calendars/{calendar_id}").json()["calendar"]["teamMembers"]
    assert [member["userId"] for member in stored] == TEAM


@pytest.mark.parametrize(
    "event_type", ["RoundRobin_OptimizeForAvailability", "RoundRobin_OptimizeForEqualDistribution"]
)
def test_a_calendar_at_the_team_cap_books_and_rotates(tenant, frozen_clock, event_type):
    calendar_id = created(tenant, eventType=event_type)
    assigned = []
    for n, start in enumerate([MONDAY_MS, MONDAY_MS, MONDAY_MS, MONDAY_MS + DAY_MS]):
        frozen_clock(f"2030-01-01T00:0{n}:00Z")
        assigned.append(book(tenant, calendar_id, start)["assignedUserId"])

    # Never booked first, by lowest userId; on Tuesday the three booked on Monday come last.
    assert assigned == TEAM[:4]


def test_when_members_were_last_booked_is_one_statement_for_any_number(app, tenant):
    calendar_id = created(tenant)
    booked = book(tenant, calendar_id, MONDAY_MS)["assignedUserId"]
    # Far more than a calendar may have: PostgreSQL stops at 1,664 columns, SQLite at 2,000.
    user_ids = [*TEAM, *(f"stranger-{n}" for n in range(2_400))]

    with app.state.db.read() as session:
        calendar = read_live_calendar(session, tenant.location_id, calendar_id)
        last = run_plan(session, single(last_booked(calendar, user_ids)))

    assert len(last) == len(user_ids)
    assert last[booked] == 1_893_456_000_000  # 2030-01-01T00:00:00Z, when it was booked
    assert sum(1 for when in last.values() if when) == 1


def test_free_slots_refuse_more_grid_points_than_the_bound_and_name_the_days_that_fit(tenant):
    calendar_id = created(tenant, slotDuration=1)
    per_day = MAX_TEAM_MEMBERS * 24 * 60  # one candidate per member per minute
    fitting_days = MAX_GRID_POINTS // per_day

    month = free_slots(tenant, calendar_id, days=31)
    too_long = free_slots(tenant, calendar_id, days=fitting_days + 1)
    fitting = free_slots(tenant, calendar_id, days=fitting_days)

    assert fitting_days == 2
    message = [f"{TOO_LONG} {fitting_days} days"]
    assert (month.status_code, month.json()["message"]) == (400, message)
    assert (too_long.status_code, too_long.json()["message"]) == (400, message)
    assert fitting.status_code == 200
    assert [len(day["slots"]) for day in fitting.json().values()] == [24 * 60] * fitting_days


def test_fewer_members_or_a_coarser_grid_fit_a_whole_month(tenant):
    one_minute = created(tenant, slotDuration=1)
    quarter_hours = created(tenant, slotDuration=15)

    eight_members = free_slots(tenant, one_minute, days=31, userIds=",".join(TEAM[:8]))
    whole_team = free_slots(tenant, quarter_hours, days=31)

    assert eight_members.status_code == 200
    assert sum(len(day["slots"]) for day in eight_members.json().values()) == 31 * 24 * 60
    assert whole_team.status_code == 200
    assert sum(len(day["slots"]) for day in whole_team.json().values()) == 31 * 24 * 4


def test_the_bound_counts_the_open_hours_not_the_range(tenant):
    # Nine to five: a third of the grid points of the same calendar around the clock.
    office = [
        {
            "daysOfTheWeek": [0, 1, 2, 3, 4, 5, 6],
            "hours": [{**ALL_DAY, "openHour": 9, "closeHour": 17}],
        }
    ]
    calendar_id = created(tenant, slotDuration=1, openHours=office)

    refused = free_slots(tenant, calendar_id, days=31)
    fitting = free_slots(tenant, calendar_id, days=8)

    # 100 members x 480 minutes = 48,000 points a day: 8 days fit, 9 do not.
    assert refused.json()["message"] == [f"{TOO_LONG} 8 days"]
    assert fitting.status_code == 200
