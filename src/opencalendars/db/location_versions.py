"""Each location's version, table by table: what free slots' kept rows and starts are valid for
(db/read_cache.py).

Why per location: a version of the whole database moves with every commit anywhere in it. On
PostgreSQL that was the cluster's snapshot, and with rate limits counted there (the default)
every request commits its count: every free-slots request came right after a commit and read
everything again. On both engines, every booking of every other location did the same
(bench/RESULTS.md, "Issue 21, 2026-12-07 (session 18)").

Why table by table (migration 0023): a block, a schedule's edit or a sync of someone's own
calendar need not make free slots read a month of appointments again, only the rows of the
table that changed. A read kept with the sums of the tables it names is valid while those sums
are (`TableVersions.of`); what is made of every read (the offered starts) with all of them.

How: triggers (migrations 0022, 0023) on every table free slots read (`WATCHED_TABLES`) add to
the version of each location and table a change touched, in the changing transaction itself:
committed with it, gone with its rollback, seen by exactly the snapshots that see its rows. A
change to a table of every location (`EVERY_LOCATION_TABLES`, the server clock) or a TRUNCATE,
whose rows' locations are unknown, adds to that table's version of `EVERY_LOCATION`, part of
every location's. A location's version of a table is the sum of its weights and
`EVERY_LOCATION`'s for that table in `location_changes` and `location_versions`; all of a
location's are read in one statement (one snapshot). Every committed change of a watched row
adds at least 1 to its table's and nothing ever subtracts, so two equal versions of a table,
read one after the other, mean that nothing of it was committed for that location in between.
Rows from before 0023 carry no table (`LEGACY_TABLE`): their sum never changes again.

- SQLite: a row trigger adds 1 to the location's and table's row of `location_versions` (an
  upsert). SQLite has one writer at a time, so a counter costs no writer any wait.
- PostgreSQL: writers run in parallel, and a counter row would make every writer of a location
  wait for the one before to commit. A statement trigger instead inserts one row per location
  the statement touched into `location_changes`: no row is locked, nothing waits. `compact`
  moves them into `location_versions` (each location's and table's sum added to its row) in
  one statement,
  which every snapshot sees whole or not at all, so a version reads the same before and after,
  and reading one reads a few rows, not one per write since the location began. Every server
  process runs it every `COMPACT_EVERY_S` (`keep_compacting`), one at a time across processes
  (an advisory lock: the others skip their turn).
"""

import logging
import threading
from collections.abc import Iterable

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
WATCHED = frozenset(WATCHED_TABLES + EVERY_LOCATION_TABLES)
# The location of a change whose locations are not known: part of every location's version.
EVERY_LOCATION = "*"
# The table of weights added before versions were kept table by table (migration 0023).
LEGACY_TABLE = ""
COMPACT_EVERY_S = 1.0

location_changes = Table(
    "location_changes",
    Base.metadata,
    Column("location_id", String(64), nullable=False),
    Column("weight", BigInteger, nullable=False),
    Column("table_name", String(64), nullable=False, server_default=LEGACY_TABLE),
    Index(None, "location_id", postgresql_include=["weight", "table_name"]),
)

location_versions = Table(
    "location_versions",
    Base.metadata,
    Column("location_id", String(64), primary_key=True),
    Column("weight", BigInteger, nullable=False),
    Column("table_name", String(64), primary_key=True, server_default=LEGACY_TABLE),
)

# One statement, one snapshot: a compaction is seen whole or not at all.
LOCATION_VERSION = PreparedRead(
    text(
        "SELECT table_name, CAST(sum(weight) AS BIGINT) AS weight FROM ("
        "SELECT table_name, weight FROM location_changes"
        f" WHERE location_id IN (:location_id, '{EVERY_LOCATION}')"
        " UNION ALL SELECT table_name, weight FROM location_versions"
        f" WHERE location_id IN (:location_id, '{EVERY_LOCATION}')"
        ") AS changes GROUP BY table_name"
    ).columns(column("table_name", String), column("weight", BigInteger)),
    named=False,
)


class TableVersions:
    """One location's version of each table, as read at one instant (`LOCATION_VERSION`)."""

    __slots__ = ("_of_table", "whole")

    def __init__(self, rows: Iterable[tuple[str, int]]):
        self._of_table = dict(rows)
        # Every table's: what is made of all of a request's reads is kept with it.
        self.whole = tuple(sorted(self._of_table.items()))

    def of(self, tables: tuple[str, ...]) -> tuple[int, ...] | None:
        """The versions of these tables, for a read that names them; None when one of them is
        not watched (`WATCHED_TABLES`): a read of it can never be known to be unchanged."""
        if not tables or not WATCHED.issuperset(tables):
            return None
        return tuple(self._of_table.get(table, 0) for table in tables)


_TAKE_COMPACTION_TURN = (
    "SELECT pg_try_advisory_xact_lock(hashtextextended('compact:location_changes', 0))"
)
_COMPACT = """
WITH moved AS (DELETE FROM location_changes RETURNING location_id, table_name, weight)
INSERT INTO location_versions AS kept (location_id, table_name, weight)
SELECT location_id, table_name, sum(weight) FROM moved GROUP BY location_id, table_name
ON CONFLICT (location_id, table_name) DO UPDATE SET weight = kept.weight + excluded.weight
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
