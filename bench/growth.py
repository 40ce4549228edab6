"""Growth benchmark (issue 21): free slots by team size and range, booking by location history.

Free slots: four locations in one database, each the benchmark location of bench/free_slots.py
(America/New_York, a round robin, every member Mon-Fri 09:00-17:00, 30-minute slots and
interval, 15-minute slotBuffer, March 2027) with a team of 1, 10, 50 or 100 members and the
same load per member: 200 occupying appointments and 10 user-level blocked slots per member,
plus the calendar's 100 calendar-level blocks (a calendar-level block closes the calendar to
every member, so their count is per calendar: scaled with the team, 1,000 of them would leave
the 100-member calendar no free slot at all). The 10-member location is the benchmark location
itself (2,000 appointments, 200 blocks, the same seed). Each is asked for 7 and 31 days.

Booking: the benchmark location in one database per point, with 0, 10,000 or 1,000,000
appointments of 1,000 other users in 100 other calendars over two years added (bulk-inserted
with SQLAlchemy Core); one server per database. Each request is a validated
`POST /calendars/events/appointments` of a start the calendar offers from April 2027 on (a
different start each time, so every booking is made).

One server worker per database, SQLite by default (`--database-url` names a PostgreSQL database
that must exist: the benchmark drops and creates `<name>_growth_slots` and
`<name>_growth_history_<N>` beside it). Every request is timed turn by turn with
`GET /calendars/{id}` of the 10-member calendar in the same run; the figure to read is the
multiple of that GET's p50. The free-slots servers run with `OPENCALENDARS_READ_CACHE=off`: asked
again with nothing committed, free slots read nothing (db/read_cache.py), and the curve is of
the work a request does when it reads. Prints a table and draws a PNG (two panels) with
matplotlib, which is not a dependency of the server: install the `bench` extra first (it is not
in the lock files).

    pip install -e '.[bench]'
    python bench/growth.py [--database-url URL] [--requests N] [--skip-million] [--plot PATH]
"""

import argparse
import os
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import READ_EVERY_TIME, interleaved, machine, p50, p95, running_server
from free_slots import (
    DAY_MS,
    START_MS,
    add_million,
    client_for,
    million_url,
    seed,
    settle,
)

from opencalendars.db import migrate
from opencalendars.db.database import Database

TEAM_SIZES = (1, 10, 50, 100)
RANGES_DAYS = (7, 31)
HISTORIES = (0, 10_000, 1_000_000)
APPOINTMENTS_PER_MEMBER = 200
USER_BLOCKS_PER_MEMBER = 10
CALENDAR_BLOCKS = 100
OWN_APPOINTMENTS = 2000  # the benchmark location's, before the others are added
SEED = 20270301
GOAL = 3.0
TIMES = "\N{MULTIPLICATION SIGN}"
Y_TICKS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
# Bookings take starts from April 2027 on: March holds the seeded appointments.
BOOKING_FROM_MS = START_MS + 31 * DAY_MS


def team(size: int) -> list[str]:
    """`member-00` to `member-99`: the benchmark location's ten names are the first ten."""
    return [f"member-{n:02d}" for n in range(size)]


def range_params(days: int) -> dict:
    return {"startDate": START_MS, "endDate": START_MS + days * DAY_MS - 1}


@dataclass
class Point:
    what: str
    size: str
    range: str
    timings: list[float]
    reference_ms: float  # the p50 of `GET /calendars/{id}` in the same run
    x: float = 0  # the plot's x
    series: str = ""  # the plot's line

    @property
    def multiple(self) -> float:
        return p50(self.timings) / self.reference_ms


def fresh_database(url: str, workdir: Path, name: str) -> tuple[str, Database]:
    sibling = million_url(url, workdir, name)
    db = Database(sibling)
    migrate.upgrade(db)
    return sibling, db


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def free_slots_part(url: str, workdir: Path, requests: int, warmup: int) -> list[Point]:
    slots_url, db = fresh_database(url, workdir, "growth_slots")
    started = time.perf_counter()
    locations = {}
    for size in TEAM_SIZES:
        locations[size] = seed(
            db,
            random.Random(SEED),
            members=team(size),
            appointments=APPOINTMENTS_PER_MEMBER * size,
            user_blocks=USER_BLOCKS_PER_MEMBER * size,
            calendar_blocks=CALENDAR_BLOCKS,
        )
    settle(db)
    db.engine.dispose()
    print(f"free slots: seeded teams of {TEAM_SIZES} in {time.perf_counter() - started:.0f} s")
    print(f"free slots: load average at the start {load()}", flush=True)
    with ExitStack() as stack:
        # The cache off: the curve is the work a request does when it reads (db/read_cache.py).
        base_url = stack.enter_context(
            running_server(slots_url, workdir / "slots.log", env=READ_EVERY_TIME)
        )
        clients = {
            size: stack.enter_context(client_for(base_url, token))
            for size, (_location, token, _calendar) in locations.items()
        }
        reference = (clients[10], f"/calendars/{locations[10][2].id}", {})
        cases = [(size, days) for days in RANGES_DAYS for size in TEAM_SIZES]
        targets = [reference] + [
            (clients[size], f"/calendars/{locations[size][2].id}/free-slots", range_params(days))
            for size, days in cases
        ]
        for (size, days), (client, path, params) in zip(cases, targets[1:], strict=True):
            answer = client.get(path, params=params)
            answer.raise_for_status()
            offered = len(offered_starts(answer.json()))
            print(f"  {size:3d} member(s), {days:2d} days: {offered} slots offered")
        timings = interleaved(targets, warmup=warmup, count=requests)
    print(f"free slots: load average at the end {load()}", flush=True)
    get_p50 = p50(timings[0])
    points = [Point("GET /calendars/{id}", "10 members", "-", timings[0], get_p50)]
    for (size, days), measured in zip(cases, timings[1:], strict=True):
        label = f"{size} member" + ("s" if size > 1 else "")
        points.append(
            Point("free slots", label, f"{days} days", measured, get_p50, size, f"{days} days")
        )
    return points


def offered_starts(answer: dict) -> list[str]:
    """The starts of a free-slots answer: one object per date, and its `traceId` beside them."""
    return [slot for key, day in answer.items() if key != "traceId" for slot in day["slots"]]


def free_starts(client: httpx.Client, calendar_id: str, count: int) -> list[str]:
    """The first `count` starts the calendar offers from April 2027 on, 31 days at a time."""
    starts: list[str] = []
    window = BOOKING_FROM_MS
    for _ in range(24):
        params = {"startDate": window, "endDate": window + 31 * DAY_MS - 1}
        answer = client.get(f"/calendars/{calendar_id}/free-slots", params=params)
        answer.raise_for_status()
        starts += offered_starts(answer.json())
        if len(starts) >= count:
            return starts[:count]
        window += 31 * DAY_MS
    raise RuntimeError(f"only {len(starts)} free starts in two years, {count} needed")


def timed_booking(client: httpx.Client, body: dict) -> float:
    started = time.perf_counter()
    response = client.post("/calendars/events/appointments", json=body)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"booking refused: {response.status_code} {response.text}")
    return elapsed


def booking_part(
    url: str, workdir: Path, requests: int, warmup: int, histories: tuple[int, ...]
) -> list[Point]:
    points = []
    for others in histories:
        history_url, db = fresh_database(url, workdir, f"growth_history_{others}")
        location, token, calendar = seed(db, random.Random(SEED))
        started = time.perf_counter()
        if others:
            add_million(db, location.id, random.Random(1), others)
        settle(db)
        db.engine.dispose()
        took = time.perf_counter() - started
        print(f"booking: {others:,} other appointments added (and settled) in {took:.0f} s")
        points.append((others, history_url, location, token, calendar))
    print(f"booking: load average at the start {load()}", flush=True)
    with ExitStack() as stack:
        servers = []
        for others, history_url, location, token, calendar in points:
            log = workdir / f"history-{others}.log"
            base_url = stack.enter_context(running_server(history_url, log))
            client = stack.enter_context(client_for(base_url, token))
            starts = free_starts(client, calendar.id, warmup + requests)
            servers.append((client, location.id, calendar.id, starts))
        reference_client, _, reference_calendar, _ = servers[0]
        reads: list[float] = []
        bookings: list[list[float]] = [[] for _ in servers]
        for n in range(warmup + requests):
            begun = time.perf_counter()
            reference_client.get(f"/calendars/{reference_calendar}").raise_for_status()
            read_ms = (time.perf_counter() - begun) * 1000
            for timings, (client, location_id, calendar_id, starts) in zip(
                bookings, servers, strict=True
            ):
                body = {
                    "calendarId": calendar_id, "locationId": location_id,
                    "contactId": f"growth-contact-{n}", "startTime": starts[n],
                }  # fmt: skip
                elapsed = timed_booking(client, body)
                if n >= warmup:
                    timings.append(elapsed)
            if n >= warmup:
                reads.append(read_ms)
    print(f"booking: load average at the end {load()}", flush=True)
    get_p50 = p50(reads)
    result = [Point("GET /calendars/{id}", "10 members", "-", reads, get_p50)]
    for (others, *_), timings in zip(points, bookings, strict=True):
        size = f"{OWN_APPOINTMENTS:,} + {others:,} appts"
        result.append(
            Point("booking", size, "-", timings, get_p50, OWN_APPOINTMENTS + others, "booking")
        )
    return result


def print_table(points: list[Point]) -> None:
    header = ("what", "size", "range", "p50 ms", "p95 ms", f"{TIMES} GET p50")
    rows = [
        (
            point.what,
            point.size,
            point.range,
            f"{p50(point.timings):.2f}",
            f"{p95(point.timings):.2f}",
            f"{point.multiple:.2f}",
        )
        for point in points
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, None, *rows]:
        if row is None:
            print("  ".join("-" * width for width in widths))
            continue
        cells = [
            cell.ljust(width) if i < 3 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells))


def plot(points: list[Point], path: Path, caption: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    figure, (slots_axes, booking_axes) = pyplot.subplots(1, 2, figsize=(12, 5.2))
    # The 7-day line's labels right of its points, the 31-day line's above: they meet at 1 member.
    offsets = {7: ((7, -3), "left"), 31: ((0, 7), "center")}
    for days, marker in zip(RANGES_DAYS, ("o", "s"), strict=True):
        offset, align = offsets[days]
        line = [point for point in points if point.series == f"{days} days"]
        xs = [point.x for point in line]
        ys = [point.multiple for point in line]
        slots_axes.plot(xs, ys, marker=marker, label=f"{days}-day range")
        for x, y in zip(xs, ys, strict=True):
            slots_axes.annotate(
                f"{y:.1f}{TIMES}",
                (x, y),
                textcoords="offset points",
                xytext=offset,
                ha=align,
            )
    slots_axes.set_xscale("log")
    slots_axes.margins(x=0.1)
    slots_axes.xaxis.set_major_locator(FixedLocator(list(TEAM_SIZES)))
    slots_axes.xaxis.set_minor_locator(NullLocator())
    slots_axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    slots_axes.set_xlabel("team size (members of the round robin; log scale)")
    slots_axes.set_title("Free slots: GET /calendars/{id}/free-slots")

    line = [point for point in points if point.series == "booking"]
    xs = [point.x for point in line]
    ys = [point.multiple for point in line]
    booking_axes.plot(xs, ys, marker="o", color="tab:green", label="validated booking")
    for x, y in zip(xs, ys, strict=True):
        booking_axes.annotate(
            f"{y:.1f}{TIMES}", (x, y), textcoords="offset points", xytext=(0, 7), ha="center"
        )
    booking_axes.set_xscale("log")
    booking_axes.xaxis.set_major_locator(FixedLocator(xs))
    booking_axes.xaxis.set_minor_locator(NullLocator())
    booking_axes.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _: f"{x:,.0f}\n(+{x - OWN_APPOINTMENTS:,.0f} others)")
    )
    booking_axes.margins(x=0.08)
    booking_axes.set_xlabel(
        "appointments in the location (the calendar's 2,000 + others; log scale)"
    )
    booking_axes.set_title("Booking: POST /calendars/events/appointments")

    for axes in (slots_axes, booking_axes):
        axes.axhline(GOAL, color="tab:red", linestyle="--", label=f"goal: {GOAL:g}{TIMES} GET")
        # Log scale: a multiple of 2 and one of 500 (a million appointments) both stay legible.
        values = [y for line in axes.get_lines() for y in line.get_ydata()]
        axes.set_yscale("log")
        axes.set_ylim(bottom=min(1, *values) / 1.3, top=max(values) * 1.8)
        axes.yaxis.set_major_locator(FixedLocator(Y_TICKS))
        axes.yaxis.set_minor_locator(NullLocator())
        axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}{TIMES}"))
        axes.set_ylabel("p50 as a multiple of GET /calendars/{id} p50 (log scale)")
        axes.grid(True, alpha=0.3)
        axes.legend(loc="upper left")
    figure.suptitle(f"OpenCalendars growth (bench/growth.py)\n{caption}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: fresh SQLite files in a temporary folder")
    parser.add_argument("--requests", type=int, default=200, help="measured per point")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured per point, first")
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--plot", type=Path, default=Path(__file__).resolve().parent / "growth.png")
    args = parser.parse_args()
    try:
        import matplotlib  # noqa: F401  (fail now, not after minutes of measuring)
    except ImportError:
        sys.exit("matplotlib is missing: pip install -e '.[bench]'")
    workdir = Path(tempfile.mkdtemp(prefix="oc-growth-"))
    url = args.database_url or f"sqlite:///{workdir / 'growth.db'}"
    histories = HISTORIES[:-1] if args.skip_million else HISTORIES
    started = time.perf_counter()
    print(f"date: {date.today().isoformat()}")
    print(f"machine: {machine()}")
    print(f"database: {make_url(url).get_backend_name()}")
    print(f"load average (1, 5, 15 min): {load()}", flush=True)

    points = free_slots_part(url, workdir, args.requests, args.warmup)
    points += booking_part(url, workdir, args.requests, args.warmup, histories)
    print()
    print_table(points)
    print()
    print(f"load average at the end (1, 5, 15 min): {load()}")
    print(f"took {time.perf_counter() - started:.0f} s")
    caption = (
        f"{date.today().isoformat()}, {make_url(url).get_backend_name()}, 1 worker, "
        f"{args.requests} requests per point; load average at the end {load()}"
    )
    plot(points, args.plot, caption)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
