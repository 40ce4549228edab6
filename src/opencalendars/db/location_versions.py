"""Each location's version: what free slots' kept rows and starts are valid for
(db/read_cache.py).

Why per location: a version of the whole database moves with every commit anywhere in it. On
PostgreSQL that was the cluster's snapshot, and with rate limits counted there (the default)
every request commits its count: every free-slots request came right after a commit and read
everything again. On both engines, every booking of every other location did the same
(bench/RESULTS.md, "Issue 21, 2026-12-07 (session 18)").

How: triggers (migration 0022) on every table free slots read (`WATCHED_TABLES`) add to the
version of each location a change touched, in the changing transaction itself: committed with
it, gone with its rollback, seen by exactly the snapshots that see its rows. A change to a table
of every location (`EVERY_LOCATION_TABLES`, the server clock) or a TRUNCATE, whose rows'
locations are unknown, adds to `EVERY_LOCATION`, part of every location's version. A location's
version is the sum of its weights and `EVERY_LOCATION`'s in `location_changes` and
`location_versions`, read in one statement (one snapshot). Every committed change of a watched
row adds at least 1 and nothing ever subtracts, so two equal versions of a location, read one
after the other, mean that nothing it watches was committed for that location in between.

- SQLite: a row trigger adds 1 to the location's row of `location_versions` (an upsert). SQLite
  has one writer at a time, so a counter costs no writer any wait.
- PostgreSQL: writers run in parallel, and a counter row would make every writer of a location
  wait for the one before to commit. A statement trigger instead inserts one row per location
  the statement touched into `location_changes`: no row is locked, nothing waits. `compact`
  moves them into `location_versions` (each location's sum added to its row) in one statement,
  which every snapshot sees whole or not at all, so a version reads the same before and after,
  and reading one reads a few rows, not one per write since the location began. Every server
  process runs it every `COMPACT_EVERY_S` (`keep_compacting`), one at a time across processes
  (an advisory lock: the others skip their turn).
"""

import logging
import threading

from sqlalchemy import BigInteger, Column, Engine, Index, String, Table, column, text

from opencalendars.db.base import Base
from opencalendars.db.prepared import PreparedRead

log = logging.getLogger("opencalendars")

# Every table of locations' rows a free-slots answer is made of: the calendar and its location's
# buffers, schedules, appointments, service bookings' staff, blocked slots, synced busy time,
# resources; and the one table of every location it reads, the server clock.
# tests/api/test_location_versions.py checks that these are the tables the free-slots reads name.
WATCHED_TABLES = (
    "appointment_users",
    "appointments",
    "blocked_slots",
    "calendar_resources",
    "calendars",
    "event_calendar_schedules",
    "external_busy",
    "schedule_calendars",
    "schedules",
    "service_segment_staff",
)
EVERY_LOCATION_TABLES = ("server_clock",)
# The location of a change whose locations are not known: part of every location's version.
EVERY_LOCATION = "*"
COMPACT_EVERY_S = 1.0

location_changes = Table(
    "location_changes",
    Base.metadata,
    Column("location_id", String(64), nullable=False),
    Column("weight", BigInteger, nullable=False),
    Index(None, "location_id", postgresql_include=["weight"]),
)

location_versions = Table(
    "location_versions",
    Base.metadata,
    Column("location_id", String(64), primary_key=True),
    Column("weight", BigInteger, nullable=False),
)

# One statement, one snapshot: a compaction is seen whole or not at all.
LOCATION_VERSION = PreparedRead(
    text(
        "SELECT CAST("
        "(SELECT coalesce(sum(weight), 0) FROM location_changes"
        f" WHERE location_id IN (:location_id, '{EVERY_LOCATION}'))"
        " + (SELECT coalesce(sum(weight), 0) FROM location_versions"
        f" WHERE location_id IN (:location_id, '{EVERY_LOCATION}'))"
        " AS BIGINT) AS version"
    ).columns(column("version", BigInteger)),
    named=False,
)

_TAKE_COMPACTION_TURN = (
    "SELECT pg_try_advisory_xact_lock(hashtextextended('compact:location_changes', 0))"
)
_COMPACT = """
WITH moved AS (DELETE FROM location_changes RETURNING location_id, weight)
INSERT INTO location_versions AS kept (location_id, weight)
SELECT location_id, sum(weight) FROM moved GROUP BY location_id
ON CONFLICT (location_id) DO UPDATE SET weight = kept.weight + excluded.weight
"""


def compact(engine: Engine) -> bool:
    """`location_changes` moved into `location_versions`, every version unchanged; False when
    another process was compacting (its turn), and nothing was done."""
    with engine.begin() as connection:
        if not connection.exec_driver_sql(_TAKE_COMPACTION_TURN).scalar():
            return False
        connection.exec_driver_sql(_COMPACT)
    return True


def keep_compacting(
    engine: Engine, stop: threading.Event, every_s: float = COMPACT_EVERY_S
) -> None:
    """`compact` at once (what piled up while no server ran: a bulk import, a worker alone), then
    every `every_s` until `stop` is set: a server process's thread on PostgreSQL. A failure (the
    database away) is logged once and tried again at the next turn: versions stay exact
    meanwhile, only their reading grows."""
    failing = False
    while True:
        try:
            compact(engine)
        except Exception:
            if not failing:
                log.warning("compacting location changes failed; trying again", exc_info=True)
            failing = True
        else:
            failing = False
        if stop.wait(every_s):
            return
