"""Booking benchmark: validated bookings on the free-slots benchmark calendar.

One server worker. Every start the 31-day free-slots answer offers is booked once: first one
after another, interleaved with `GET /calendars/{id}` so both see the same machine, then the
rest from 16 concurrent clients. A booking can take the last free member of a later start
(buffers reach into the next slot), so some attempts are refused with the 400 of PRODUCT §5:
they run the same validation and are timed too, and the counts are printed.

    python bench/booking.py [--database-url URL] [--past-blocks N]

With `--compare-src DIR` (another checkout's `src`) a second server runs that code on a database
of its own (`--compare-database-url`, or a fresh SQLite file; seeded by this code, then migrated
down to the newest revision that checkout has, when it is older), and
the two are measured request by request instead: a booking and a GET on one, then on the other
(which one goes first alternates), for every offered start. On a machine whose speed swings from
minute to minute, this is how two versions of the code compare.
"""

import argparse
import contextlib
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from alembic import command

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import p50, p95, running_server
from free_slots import SLOTS_PARAMS, client_for, prepared

from opencalendars.db import migrate

SEQUENTIAL = 60
CONCURRENCY = 16


def booking_body(location_id: str, calendar_id: str, start: str, n: int) -> dict:
    return {
        "calendarId": calendar_id,
        "locationId": location_id,
        "contactId": f"bench-contact-{n}",
        "startTime": start,
    }


TAKEN = "The slot you have selected is no longer available."


def timed_post(client: httpx.Client, body: dict) -> tuple[float, bool]:
    """Milliseconds, and whether the booking was made (else it was refused as taken)."""
    started = time.perf_counter()
    response = client.post("/calendars/events/appointments", json=body)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200 and response.json().get("message") != TAKEN:
        raise RuntimeError(f"unexpected answer: {response.text}")
    return elapsed, response.status_code == 200


def offered_starts(client: httpx.Client, calendar_id: str) -> list[str]:
    answer = client.get(f"/calendars/{calendar_id}/free-slots", params=SLOTS_PARAMS).json()
    # The date keys; the answer's `traceId` beside them is no day.
    return [slot for day in answer.values() if isinstance(day, dict) for slot in day["slots"]]


def timed_get(client: httpx.Client, calendar_id: str) -> float:
    started = time.perf_counter()
    client.get(f"/calendars/{calendar_id}").raise_for_status()
    return (time.perf_counter() - started) * 1000


def compare_head(src: str) -> str:
    """The newest migration revision of the checkout whose `src` this is."""
    versions = Path(src) / "opencalendars" / "db" / "migrations" / "versions"
    return max(path.name.split("_", 1)[0] for path in versions.glob("[0-9]*_*.py"))


def migrate_down_to(db, revision: str) -> None:
    with db.engine.connect() as connection:
        command.downgrade(migrate.alembic_config(connection), revision)
        connection.commit()


def compare(args: argparse.Namespace) -> None:
    """This code and the code in `args.compare_src`, request by request."""
    sides = [
        ("this code", args.database_url, {}),
        (args.compare_src, args.compare_database_url, {"PYTHONPATH": args.compare_src}),
    ]
    with contextlib.ExitStack() as stack:
        runs = []
        for name, url, env in sides:
            workdir = Path(tempfile.mkdtemp(prefix="oc-bench-"))
            url, db, location, token, calendar = prepared(url, workdir)
            if env:
                migrate_down_to(db, compare_head(args.compare_src))
            base_url = stack.enter_context(running_server(url, workdir / "server.log", env=env))
            client = stack.enter_context(client_for(base_url, token))
            for _ in range(20):
                timed_get(client, calendar.id)
            runs.append((name, client, location, calendar, offered_starts(client, calendar.id)))
        timings = {name: ([], []) for name, *_ in runs}
        for n in range(min(len(starts) for *_, starts in runs)):
            # Each side first in every other turn: the side that goes first was seen to read
            # up to 5% slower, whichever code it runs.
            for name, client, location, calendar, starts in runs[:: 1 if n % 2 else -1]:
                body = booking_body(location.id, calendar.id, starts[n], n)
                timings[name][0].append(timed_post(client, body)[0])
                timings[name][1].append(timed_get(client, calendar.id))
    for name, (bookings, reads) in timings.items():
        print(
            f"{name}: booking p50 {p50(bookings):6.2f} ms   GET p50 {p50(reads):6.2f} ms   "
            f"ratio {p50(bookings) / p50(reads):.2f}   ({len(bookings)} each)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument(
        "--past-blocks",
        type=int,
        default=0,
        help="blocked slots over the 5 years before the range (as bench/free_slots.py)",
    )
    parser.add_argument("--compare-src", help="another checkout's src directory, run turn by turn")
    parser.add_argument(
        "--compare-database-url", help="its database (default: a fresh SQLite file)"
    )
    args = parser.parse_args()
    if args.compare_src:
        args.compare_src = os.path.abspath(args.compare_src)
        compare(args)
        return
    workdir = Path(tempfile.mkdtemp(prefix="oc-bench-"))
    url, _db, location, token, calendar = prepared(
        args.database_url, workdir, past_blocks=args.past_blocks
    )

    with (
        running_server(url, workdir / "server.log") as base_url,
        client_for(base_url, token) as client,
    ):
        starts = offered_starts(client, calendar.id)
        for _ in range(20):
            timed_get(client, calendar.id)
        sequential, reads = [], []
        started = time.perf_counter()
        for n, start in enumerate(starts[:SEQUENTIAL]):
            sequential.append(timed_post(client, booking_body(location.id, calendar.id, start, n)))
            reads.append(timed_get(client, calendar.id))
        sequential_seconds = time.perf_counter() - started - sum(reads) / 1000

        rest = list(enumerate(starts[SEQUENTIAL:], start=SEQUENTIAL))
        clients = [client_for(base_url, token) for _ in range(CONCURRENCY)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            concurrent = list(
                pool.map(
                    lambda item: timed_post(
                        clients[item[0] % CONCURRENCY],
                        booking_body(location.id, calendar.id, item[1], item[0]),
                    ),
                    rest,
                )
            )
        concurrent_seconds = time.perf_counter() - started
        for extra in clients:
            extra.close()

    made = sum(ok for _, ok in sequential + concurrent)
    refused = len(starts) - made
    print(f"offered starts in the 31-day answer: {len(starts)}; booked {made}, refused {refused}")
    sequential = [ms for ms, _ in sequential]
    concurrent = [ms for ms, _ in concurrent]
    print(f"GET /calendars/{{id}}            p50 {p50(reads):6.2f} ms   p95 {p95(reads):6.2f} ms")
    print(
        f"booking, sequential ({SEQUENTIAL}):    p50 {p50(sequential):6.2f} ms   "
        f"p95 {p95(sequential):6.2f} ms   {SEQUENTIAL / sequential_seconds:6.1f} bookings/s"
    )
    print(
        f"booking, {CONCURRENCY} concurrent ({len(rest)}): p50 {p50(concurrent):6.2f} ms   "
        f"p95 {p95(concurrent):6.2f} ms   {len(rest) / concurrent_seconds:6.1f} bookings/s"
    )
    ratio = p50(sequential) / p50(reads)
    print(f"ratio sequential booking / GET calendar (p50): {ratio:.2f}  (issue 21: <= 3)")


if __name__ == "__main__":
    main()
