"""What the race tests share: the working hours and calendars they book against, and sending
the same request at the same moment through several server processes."""

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

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


def sent_at_once(
    servers: list[str], send: Callable[[httpx.Client], httpx.Response], racers: int
) -> list[httpx.Response]:
    """`send(client)` by `racers` threads released together (a barrier), their clients taken
    in turn from `servers`, the base URLs of real server processes on one database."""
    clients = [httpx.Client(base_url=url, timeout=60) for url in servers]
    rotation = itertools.cycle(clients)
    jobs = [next(rotation) for _ in range(racers)]
    start = threading.Barrier(racers)

    def released(client: httpx.Client) -> httpx.Response:
        start.wait()
        return send(client)

    try:
        with ThreadPoolExecutor(max_workers=racers) as pool:
            return list(pool.map(released, jobs))
    finally:
        for client in clients:
            client.close()
