"""Worst-case benchmark (issue 19): the costliest requests the limits on series and lists allow.

A real server (one worker) on loopback, a location in America/New_York, the clock frozen at
2026-03-01T12:00Z, everything made through the API but the 5,000 blocked slots (inserted):

- `rr`: a round robin of 10 members (Mon-Fri 09:00-17:00, 30-minute slots), each member with 5
  daily series without end that began on 2006-03-01, 20 years before (7,300 occurrences behind
  each), and a sparse one, `FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO` from 2016-02-29 (its next
  occurrence is in 2044);
- `year`: 13 daily series without end (4,758 occurrences in 366 days, under the 5,000 cap);
- `over`: 14 of them (5,124: over the cap);
- `blocks`: 5,000 blocked slots in one week;
- `grid`: 8 members with 1-minute slots around the clock, the largest candidate grid a 31-day
  free-slots request may have.

Timed, each after warm-up requests (p50 and the slowest, which is the figure to read), by a
server that reads on every request (`OPENCALENDARS_READ_CACHE=off`):
free slots over 31 days on `rr`; `GET /calendars/events` over March on `rr` (1,550 occurrences)
and over 366 days on `year` and `over` (400); `GET /calendars/blocked-slots` with 5,000 blocks;
`GET` one occurrence of a 20-year-old series; creating the costliest accepted series (daily
until 5 years later, daily with COUNT=730) and refusing a rule with no occurrence in 5 years.

    python bench/worst_case.py [--database-url URL] [--requests N]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ADMIN_KEY, READ_EVERY_TIME, machine, running_server

from opencalendars.blocked_slots.models import BlockedSlot
from opencalendars.db import migrate
from opencalendars.db.database import Database
from opencalendars.ids import new_id

ZONE = "America/New_York"
DAY_MS = 86_400_000
MEMBERS = [f"member-{n:02d}" for n in range(10)]
WORKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
ALL_DAYS = (*WORKDAYS, "saturday", "sunday")
MARCH = (
    int(datetime.fromisoformat("2026-03-01T00:00:00-05:00").timestamp() * 1000),
    int(datetime.fromisoformat("2026-04-01T00:00:00-04:00").timestamp() * 1000) - 1,
)
YEAR = (MARCH[0], MARCH[0] + 366 * DAY_MS)


def created(response: httpx.Response, status: int = 200) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
    return response.json()


def tenant(base_url: str) -> tuple[httpx.Client, str]:
    """A location, its token and the frozen clock, through the admin API."""
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(base_url=base_url, headers=admin, timeout=60) as client:
        location = created(
            client.post(
                "/admin/locations",
                json={"name": "Worst", "timezone": ZONE, "requireContacts": False},
            ),
            201,
        )["location"]["id"]
        token = created(
            client.post("/admin/tokens", json={"locationId": location, "name": "bench"}), 201
        )["token"]
        created(client.put("/admin/clock", json={"now": "2026-03-01T12:00:00Z"}))
    headers = {"Authorization": f"Bearer {token}", "Version": "v3"}
    return httpx.Client(base_url=base_url, headers=headers, timeout=600), location


def calendar(
    client: httpx.Client,
    location: str,
    name: str,
    members: list[str],
    minutes: int = 30,
    days: tuple[str, ...] = WORKDAYS,
    hours: tuple[str, str] = ("09:00", "17:00"),
) -> str:
    body = {
        "locationId": location,
        "name": name,
        "calendarType": "round_robin",
        "teamMembers": [{"userId": member} for member in members],
        "slotDuration": minutes,
        "slotInterval": minutes,
    }
    calendar_id = created(client.post("/calendars/", json=body))["calendar"]["id"]
    rules = [
        {"type": "wday", "day": day, "intervals": [{"from": hours[0], "to": hours[1]}]}
        for day in days
    ]
    for member in members:
        schedule = {
            "locationId": location, "name": f"{member} hours", "userId": member,
            "timezone": ZONE, "rules": rules, "calendarIds": [calendar_id],
        }  # fmt: skip
        created(client.post("/calendars/schedules", json=schedule), 201)
    return calendar_id


def series(client, location, calendar_id, member, start, rrule) -> dict:
    body = {
        "calendarId": calendar_id, "locationId": location, "contactId": "bench-contact",
        "assignedUserId": member, "startTime": start, "rrule": rrule,
        "ignoreFreeSlotValidation": True,
    }  # fmt: skip
    return created(client.post("/calendars/events/appointments", json=body))


def insert_blocks(url: str, location: str, calendar_id: str, count: int) -> None:
    db = Database(url)
    rows = [
        {
            "id": new_id(),
            "location_id": location,
            "calendar_id": calendar_id,
            "assigned_user_id": None,
            "title": "Busy",
            "start_ms": MARCH[0] + n * 60_000,
            "end_ms": MARCH[0] + n * 60_000 + 1_800_000,
            "deleted": False,
            "date_added_ms": 0,
            "date_updated_ms": 0,
        }
        for n in range(count)
    ]
    with db.engine.begin() as connection:
        connection.execute(insert(BlockedSlot.__table__), rows)
    db.dispose()


def timed(send, status: int, warmup: int, count: int) -> list[float]:
    """Milliseconds per request after `warmup` unmeasured ones; each must answer `status`."""
    for _ in range(warmup):
        created(send(), status)
    measured = []
    for _ in range(count):
        started = time.perf_counter()
        response = send()
        measured.append((time.perf_counter() - started) * 1000)
        created(response, status)
    return measured


def report(name: str, timings: list[float], detail: str) -> None:
    print(
        f"{name:<58} p50 {statistics.median(timings):8.2f} ms   worst {max(timings):8.2f} ms"
        f"   ({detail})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="oc-worst-"))
    url = args.database_url or f"sqlite:///{workdir / 'worst.db'}"
    migrate.upgrade(Database(url))
    print(f"machine: {machine()}")
    print(f"database: {url.split(':', 1)[0]}")
    print(f"load average (1 min) at the start: {os.getloadavg()[0]:.2f}", flush=True)
    n = args.requests

    # The worst case reads: free slots asked again must not come from the rows of the last answer.
    with running_server(url, workdir / "server.log", env=READ_EVERY_TIME) as base_url:
        client, location = tenant(base_url)
        rr = calendar(client, location, "Round robin", MEMBERS)
        old = []
        for member in MEMBERS:
            for hour in (9, 11, 13, 15, 17):
                start = f"2006-03-01T{hour:02d}:00:00-05:00"
                old.append(series(client, location, rr, member, start, "FREQ=DAILY"))
        sparse = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"
        series(client, location, rr, MEMBERS[0], "2016-02-29T10:00:00-05:00", sparse)
        year = calendar(client, location, "Year", ["year-member"])
        over = calendar(client, location, "Over", ["over-member"])
        for calendar_id, member, many in ((year, "year-member", 13), (over, "over-member", 14)):
            for hour in range(many):
                start = f"2026-03-01T{hour:02d}:15:00-05:00"
                series(client, location, calendar_id, member, start, "FREQ=DAILY")
        blocks = calendar(client, location, "Blocks", ["blocks-member"])
        insert_blocks(url, location, blocks, 5000)
        writes = calendar(client, location, "Writes", ["writes-member"])
        # The largest candidate grid free slots accept for 31 days (slots.service.MAX_GRID_POINTS):
        # 8 members with 1-minute slots around the clock, 357,120 candidate starts.
        grid = calendar(
            client,
            location,
            "Grid",
            [f"grid-{n}" for n in range(8)],
            1,
            ALL_DAYS,
            ("00:00", "24:00"),
        )

        def events(calendar_id, span):
            params = {
                "locationId": location, "calendarId": calendar_id,
                "startTime": span[0], "endTime": span[1],
            }  # fmt: skip
            return lambda: client.get("/calendars/events", params=params)

        slots = {"startDate": MARCH[0], "endDate": MARCH[1]}
        offered = created(client.get(f"/calendars/{rr}/free-slots", params=slots))
        report(
            "GET free-slots, 31 days, 51 series of 10 members",
            timed(lambda: client.get(f"/calendars/{rr}/free-slots", params=slots), 200, 3, n),
            f"{sum(len(day['slots']) for day in offered.values() if 'slots' in day)} slots",
        )
        report(
            "GET free-slots, 31 days, 8 members, 1-minute slots 24/7",
            timed(lambda: client.get(f"/calendars/{grid}/free-slots", params=slots), 200, 2, n),
            "the largest grid accepted",
        )
        march = created(events(rr, MARCH)())["events"]
        report(
            "GET /calendars/events, March, 51 series 20 years old",
            timed(events(rr, MARCH), 200, 3, n),
            f"{len(march)} events",
        )
        listed = created(events(year, YEAR)())["events"]
        report(
            "GET /calendars/events, 366 days, 13 daily series",
            timed(events(year, YEAR), 200, 3, n),
            f"{len(listed)} events",
        )
        report(
            "GET /calendars/events, 366 days, 14 daily series (over)",
            timed(events(over, YEAR), 400, 3, n),
            "400: more than 5000",
        )
        params = {
            "locationId": location, "calendarId": blocks,
            "startTime": MARCH[0], "endTime": MARCH[0] + 7 * DAY_MS,
        }  # fmt: skip
        report(
            "GET /calendars/blocked-slots, 5,000 blocks",
            timed(lambda: client.get("/calendars/blocked-slots", params=params), 200, 3, n),
            "5000 blocks",
        )
        occurrence = f"{old[0]['id']}_{MARCH[0] + 9 * 3_600_000}_1800"  # 2026-03-01T09:00
        report(
            "GET one occurrence of a 20-year-old daily series",
            timed(lambda: client.get(f"/calendars/events/appointments/{occurrence}"), 200, 3, n),
            "find_occurrence",
        )
        for rule, status, detail in [
            ("FREQ=DAILY;UNTIL=20310303T140000Z", 200, "1,828 occurrences, the longest UNTIL"),
            ("FREQ=DAILY;COUNT=730", 200, "the largest COUNT"),
            ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", 400, "no occurrence: 5 years looked at"),
        ]:
            body = {
                "calendarId": writes, "locationId": location, "contactId": "bench-contact",
                "startTime": "2026-03-02T09:00:00-05:00", "rrule": rule,
                "ignoreFreeSlotValidation": True,
            }  # fmt: skip
            report(
                f"POST series {rule}",
                timed(
                    lambda body=body: client.post("/calendars/events/appointments", json=body),
                    status,
                    2,
                    n,
                ),
                detail,
            )
        client.close()


if __name__ == "__main__":
    main()
