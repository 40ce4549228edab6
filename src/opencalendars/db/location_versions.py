"""Each location's version on PostgreSQL: what free slots' kept rows and starts are valid for
(db/read_cache.py), in place of the whole cluster's snapshot.

Why: the snapshot moves with every commit anywhere in the cluster, and with rate limits counted
in PostgreSQL (the default there) every request commits its count. So every free-slots request
came right after a commit, read everything again, and the kept rows were of no use where they
were meant to help (bench/RESULTS.md, "Issue 21, 2026-12-07 (session 18)").

How: triggers (migration 0022) on every table free slots read (`WATCHED_TABLES`) add, for each
statement that changes rows there, one row per location it touched to `location_changes`, in
the statement's own transaction: committed with it, gone with its rollback, seen by exactly the
snapshots that see its rows. A TRUNCATE, whose rows' locations are unknown, adds a row for
`EVERY_LOCATION`. A location's version is the sum of the weights of its rows and of
`EVERY_LOCATION`'s, in `location_changes` and in `location_versions`, read in one statement
(one snapshot). Every committed change of a watched row adds at least 1 and nothing ever
subtracts, so two equal versions of a location, read one after the other, mean that nothing it
watches was committed for that location in between. Writers only insert: no row is locked, and
bookings of one location never queue on a counter of theirs.

`compact` moves `location_changes` into `location_versions` (each location's sum added to its
row) in one statement, which every snapshot sees whole or not at all: a version reads the same
before and after, and reading one reads a few rows, not one per write since the location began.
Every server process on PostgreSQL runs it every `COMPACT_EVERY_S` (`keep_compacting`), one at
a time across processes (an advisory lock: the others skip their turn).

SQLite keeps `PRAGMA data_version` (db/database.py): its commits are the database file's own
(rate limits are counted in a file beside it), and it has no statement-level triggers; the
tables exist there, empty, so that both engines have one schema.
"""

import logging
import threading

from sqlalchemy import BigInteger, Column, Engine, Index, String, Table

from opencalendars.db.base import Base

log = logging.getLogger("opencalendars")

# Every table a free-slots answer is made of, besides the server clock (read afresh on every
# request): the calendar and its location's buffers, schedules, appointments, service bookings'
# staff, blocked slots, synced busy time, resources. tests/api/test_location_versions.py checks
# that every table the free-slots reads name is here.
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
VERSION_SQL = (
    "SELECT CAST("
    "(SELECT coalesce(sum(weight), 0) FROM location_changes"
    f" WHERE location_id IN (%(location_id)s, '{EVERY_LOCATION}'))"
    " + (SELECT coalesce(sum(weight), 0) FROM location_versions"
    f" WHERE location_id IN (%(location_id)s, '{EVERY_LOCATION}'))"
    " AS BIGINT)"
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
    """`compact` every `every_s` until `stop` is set: a server process's thread on PostgreSQL.
    A failure (the database away) is logged once and tried again at the next turn: versions
    stay exact meanwhile, only their reading grows."""
    failing = False
    while not stop.wait(every_s):
        try:
            compact(engine)
        except Exception:
            if not failing:
                log.warning("compacting location changes failed; trying again", exc_info=True)
            failing = True
        else:
            failing = False
