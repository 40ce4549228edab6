"""What the race tests share: the working hours and calendars they book against."""

REQUESTS = 200
SLOT = "2030-01-07T10:00:00-05:00"  # a Monday
ALL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WORKING_HOURS = [
    {"type": "wday", "day": day, "intervals": [{"from": "09:00", "to": "17:00"}]}
    for day in ALL_DAYS
]


def give_hours(tenant, user, calendar_ids):
    """Working hours for a user: for these calendars, or (none) for Services V2."""
    created = tenant.post(
        "/calendars/schedules",
        json={
            "locationId": tenant.location_id,
            "name": "hours",
            "userId": user,
            "timezone": "America/New_York",
            "rules": WORKING_HOURS,
            "calendarIds": calendar_ids,
        },
    )
    assert created.status_code == 201, created.text


def calendar_with(tenant, calendar_type, members, **settings):
    team = [{"userId": user} for user in members]
    response = tenant.post(
        "/calendars/",
        json={
            "locationId": tenant.location_id,
            "name": f"race {calendar_type}",
            "calendarType": calendar_type,
            "teamMembers": team,
            **settings,
        },
    )
    assert response.status_code == 200, response.text
    calendar_id = response.json()["calendar"]["id"]
    for user in members:
        give_hours(tenant, user, [calendar_id])
    return calendar_id
