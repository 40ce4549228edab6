"""Where the rate limits' counters live (docs/operations.md, "Rate limits").

Every store counts alike, atomically for all the processes that share it: a request takes one from
its token's current window (while the window has some left) and then, only if it got one, one from
its token's day. It is admitted when it got both. So a request refused by the window costs the day
nothing; one refused by the day (the day's quota spent) still took one from its window.

- `SharedMemoryCounters`: every process on the machine of an SQLite database (which must be on a
  local disk anyway), through a file beside it mapped into each process's memory, counted under
  an exclusive `flock` (without `fcntl`, on Windows, a `filelock` lock file). Nothing is synced to
  disk.
- `PostgresCounters`: every process on every host of a PostgreSQL database, in an UNLOGGED table,
  counted in the statement that finds the request's token (no round trip of its own).
- `RedisCounters`: every process that names the same Redis (`OPENCALENDARS_REDIS_URL`), one Lua
  script; the keys expire with their windows.

In PostgreSQL's table a token has one row per period (`burst`, `day`), reused from window to
window: a request of a newer window starts the row again at 1, and a request from a host whose
clock is a little behind counts into the newer window it finds. Rows whose window has ended are
deleted about once a minute by each process (they are worth nothing: the next request would start
them again).
"""

import hashlib
import mmap
import os
import struct
import threading
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opencalendars.db.base import Base
from opencalendars.db.database import Database, sqlite_path
from opencalendars.db.pg_rounds import send_round
from opencalendars.http.redis_pipe import Scripts

try:
    from fcntl import LOCK_EX, LOCK_UN, flock
except ImportError:  # Windows: see portable_flock
    from filelock import FileLock

    LOCK_EX, LOCK_UN = 2, 8
    HAVE_FCNTL = False
else:
    HAVE_FCNTL = True

# Without fcntl, the counters file's lock (a lock file beside it, through `filelock`) by the
# file's descriptor; a process whose lock file is left behind by a crash counts nothing for this
# long, then requests go on unlimited (logged) until the file is deleted.
PORTABLE_LOCKS: dict[int, "FileLock"] = {}
PORTABLE_LOCK_TIMEOUT_S = 5.0


def portable_flock(fd: int, operation: int) -> None:
    """`fcntl.flock` for the counters file where there is no fcntl (Windows): the exclusive
    lock of the file's `filelock` lock file. On Windows it is released by the system when a
    process dies, like a `flock`. Slower (a lock file opened and closed per count), but exact
    across processes."""
    lock = PORTABLE_LOCKS[fd]
    if operation == LOCK_EX:
        lock.acquire(timeout=PORTABLE_LOCK_TIMEOUT_S, poll_interval=0.001)
    else:
        lock.release()


if not HAVE_FCNTL:
    flock = portable_flock


def read_at(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


def write_at(fd: int, data: bytes, offset: int) -> None:
    if hasattr(os, "pwrite"):
        os.pwrite(fd, data, offset)
        return
    os.lseek(fd, offset, os.SEEK_SET)
    os.write(fd, data)


DAY_MS = 86_400_000
CLEANUP_EVERY_MS = 60_000
REDIS_PREFIX = "opencalendars:ratelimit"
# A Redis key outlives its window by this much, so that a slightly slower clock of Redis itself
# or of another host never drops a window's count while it still counts.
REDIS_EXPIRY_SLACK_MS = 60_000
# A Redis that does not answer a count within this long fails it (and the request goes on).
REDIS_TIMEOUT_S = 2.0


class RateLimitCounter(Base):
    """One token's count in its current window of one period. UNLOGGED on PostgreSQL: counters
    are not worth a write-ahead log (after a crash they start again from zero). On SQLite the
    table stays empty: the counters live in a file beside the database."""

    __tablename__ = "rate_limit_counters"

    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    window_start_ms: Mapped[int] = mapped_column(BigInteger)
    window_end_ms: Mapped[int] = mapped_column(BigInteger)
    hits: Mapped[int] = mapped_column(Integer)


class Windows(NamedTuple):
    """The current windows and their limits."""

    burst_start_ms: int
    burst_end_ms: int
    burst_max: int
    day_start_ms: int
    day_end_ms: int
    day_max: int


# What a store answers: the window's count after this request (None: refused by the window, which
# was full), the day's (None: not taken, refused by the window or by the day), and the day's count
# as seen when the window refused (for the headers). A plain tuple: it is made for every request.
Counted = tuple[int | None, int | None, int]


def sidecar_path(database_path: Path) -> Path:
    return database_path.with_name(database_path.name + ".rate-limits")


class SharedMemoryCounters:
    """Every process on the machine of an SQLite database: a table of counters in a file beside
    the database (`<database>.rate-limits`, 2.6 MB, mostly sparse), mapped into each process's
    memory (`MAP_SHARED`: the processes share the same pages of the kernel's page cache), read and
    written under an exclusive `flock` on it. A count is two system calls and a few bytes moved,
    a few microseconds; nothing is ever synced to disk (counts are not worth it).

    The first design, a sidecar SQLite file (`synchronous = OFF`, one transaction per request),
    cost ~30 us per count and 18-24% of plain-GET throughput (bench/throughput.py).

    The file is a header and SLOTS slots of (token key, window start, window count, day start,
    day count), the token key the first 16 bytes of the token id's BLAKE2b, found by linear
    probing from its hash. A slot whose day is over is free: a token takes the first free slot
    of its chain unless it finds its own, live, before. So a live slot is never beyond a free one
    in its chain (every slot before it was live when it was taken, and stays live until the day
    ends), and the table empties itself every UTC day without a sweep. It holds SLOTS tokens a
    day; past that, counting fails and requests go on unlimited (logged)."""

    MAGIC = b"OCRATE01"
    HEADER = 64
    SLOTS = 1 << 16
    SLOT = struct.Struct("<16sqiqi")
    in_loop = True  # `hit_now` is called right in the event loop

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._map: mmap.mmap | None = None
        self._keys: dict[str, tuple[bytes, int]] = {}

    async def hit(self, token_id: str, windows: Windows, now_ms: int) -> Counted:
        return self.hit_now(token_id, windows)

    def _open(self) -> mmap.mmap:
        size = self.HEADER + self.SLOTS * self.SLOT.size
        header = self.MAGIC + struct.pack("<II", self.SLOTS, self.SLOT.size)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
        try:
            if not HAVE_FCNTL:
                PORTABLE_LOCKS[fd] = FileLock(f"{self.path}.lock")
            flock(fd, LOCK_EX)
            try:
                if os.fstat(fd).st_size != size or read_at(fd, len(header), 0) != header:
                    # New, or another layout: start from zero (free slots everywhere).
                    os.ftruncate(fd, 0)
                    os.ftruncate(fd, size)
                    write_at(fd, header, 0)
            finally:
                flock(fd, LOCK_UN)
            mapped = mmap.mmap(fd, size)
        except BaseException:
            PORTABLE_LOCKS.pop(fd, None)
            os.close(fd)
            raise
        self._fd, self._map = fd, mapped
        return mapped

    def _key(self, token_id: str) -> tuple[bytes, int]:
        found = self._keys.get(token_id)
        if found is None:
            if len(self._keys) >= 100_000:
                self._keys.clear()
            key = hashlib.blake2b(token_id.encode(), digest_size=16).digest()
            found = self._keys[token_id] = (key, int.from_bytes(key[:8], "little") % self.SLOTS)
        return found

    def hit_now(self, token_id: str, w: Windows) -> Counted:
        key, index = self._key(token_id)
        slot, unpack, pack = self.SLOT.size, self.SLOT.unpack_from, self.SLOT.pack_into
        # A slot of a later day than ours is live too (a clock stepped back counts into it).
        oldest_live, newest_live = w.day_start_ms, w.day_start_ms + DAY_MS
        with self._lock:
            mapped = self._map or self._open()
            flock(self._fd, LOCK_EX)
            try:
                for _ in range(self.SLOTS):
                    offset = self.HEADER + index * slot
                    found, burst_start, burst, day_start, day = unpack(mapped, offset)
                    live = oldest_live <= day_start <= newest_live
                    if found == key and live:
                        break
                    if not live:  # free: ours from now on
                        burst_start, burst, day_start, day = w.burst_start_ms, 0, w.day_start_ms, 0
                        break
                    index = (index + 1) % self.SLOTS
                else:
                    raise RuntimeError(f"{self.path}: all {self.SLOTS} slots are taken today")
                if burst_start < w.burst_start_ms:
                    burst_start, burst = w.burst_start_ms, 0
                if burst >= w.burst_max:
                    return (None, None, day)
                burst += 1
                if day >= w.day_max:
                    pack(mapped, offset, key, burst_start, burst, day_start, day)
                    return (burst, None, day)
                day += 1
                pack(mapped, offset, key, burst_start, burst, day_start, day)
                return (burst, day, day)
            finally:
                flock(self._fd, LOCK_UN)

    def close(self) -> None:
        with self._lock:
            if self._map is not None:
                self._map.close()
                PORTABLE_LOCKS.pop(self._fd, None)
                os.close(self._fd)
                self._map = self._fd = None


# PostgreSQL: both periods in one statement. The day's insert selects from the window's RETURNING,
# so it runs only when the window took the request. Under READ COMMITTED, ON CONFLICT locks the
# row and re-checks the WHERE on its newest version: concurrent requests count exactly.
PG_TAKE_ONE = """
    INSERT INTO rate_limit_counters AS c (token_id, period, window_start_ms, window_end_ms, hits)
    {source}
    ON CONFLICT (token_id, period) DO UPDATE SET
        hits = CASE WHEN c.window_start_ms < excluded.window_start_ms THEN 1 ELSE c.hits + 1 END,
        window_start_ms = GREATEST(c.window_start_ms, excluded.window_start_ms),
        window_end_ms = GREATEST(c.window_end_ms, excluded.window_end_ms)
    WHERE c.window_start_ms < excluded.window_start_ms OR c.hits < %({limit})s
    RETURNING c.hits
"""


def pg_find_and_take(live_token_sql: str) -> str:
    """The token's lookup (`live_token_sql`: one row of id, location_id, timezone, scopes, or
    none, for `%(token_hash)s`) and both periods' counts in one statement: the request's one
    round trip to the database for auth and rate limits alike. The day's insert selects from the
    window's RETURNING, so it runs only when the window took the request; neither runs when no
    live token is found."""
    burst = PG_TAKE_ONE.format(
        source="SELECT id, 'burst', %(burst_start)s, %(burst_end)s, 1 FROM caller",
        limit="burst_max",
    )
    day = PG_TAKE_ONE.format(
        source="SELECT caller.id, 'day', %(day_start)s, %(day_end)s, 1 FROM caller, burst",
        limit="day_max",
    )
    return f"""
WITH caller AS ({live_token_sql}), burst AS ({burst}), day AS ({day})
SELECT
    caller.*,
    (SELECT hits FROM burst),
    (SELECT hits FROM day)
FROM caller
"""


# The day's count for the headers of a request the window refused, read by a statement of its own
# after the counting one. Not a column of the counting statement: that statement's snapshot is
# taken before it waits for the window's row, so it misses the day counts of the requests that
# committed meanwhile (the very ones that filled the window; it answered 199,901 left where
# 199,900 were), and a row a waited-for request inserted is invisible even to a locking read. A
# refused request may pay a round trip; an admitted one pays nothing.
PG_DAY_SEEN = """
SELECT CASE WHEN window_start_ms < %(day_start)s THEN 0 ELSE hits END
FROM rate_limit_counters WHERE token_id = %(token_id)s AND period = 'day'
"""


PG_CLEANUP = "DELETE FROM rate_limit_counters WHERE window_end_ms <= %(now)s"


class PostgresCounters:
    """Every process on every host of one PostgreSQL database: the UNLOGGED table, counted in
    the same statement that finds the request's token (`find_and_hit`), on one of the event
    loop's own connections (db/loop_connections.py; autocommit: no BEGIN, no COMMIT). So limits
    on cost a plain GET no round trip: the token is read either way.

    The first design ran a counting statement of its own on a connection of the SQLAlchemy pool
    in a worker thread: the hop to the thread and back and the pool's pre-ping round trip cost
    ~30% of plain-GET throughput; a second, a counting statement of its own on an async
    connection, still cost 12-34% (bench/throughput.py)."""

    in_loop = False

    def __init__(self, db: Database, live_token_sql: str):
        self._connections = db.loop_connections
        self._find_and_take = pg_find_and_take(live_token_sql)
        # The same counting for a caller already found: its id stands in for the lookup.
        self._take = pg_find_and_take("SELECT CAST(%(counted_id)s AS VARCHAR(64)) AS id")
        self._next_cleanup_ms = 0

    async def find_and_hit(
        self, token_hash: str, w: Windows, now_ms: int
    ) -> tuple[tuple | None, Counted | None]:
        """The live token's row (id, location_id, timezone, scopes), or None, and its counts."""
        found = await self._run(self._find_and_take, {"token_hash": token_hash}, w, now_ms=now_ms)
        if found is None:
            return None, None
        *row, burst, day, day_seen = found
        return tuple(row), self._counted(burst, day, day_seen, w=w)

    async def hit(self, token_id: str, w: Windows, now_ms: int) -> Counted:
        """A request of a caller found otherwise (a marketplace app's token, checked by its
        signature): its counts alone, in the same statement shape."""
        _id, burst, day, day_seen = await self._run(
            self._take, {"counted_id": token_id}, w, now_ms=now_ms
        )
        return self._counted(burst, day, day_seen, w=w)

    @staticmethod
    def _counted(
        burst: int | None, day: int | None, day_seen: int | None, *, w: Windows
    ) -> Counted:
        if burst is None:
            return None, None, day_seen or 0
        return burst, day, w.day_max if day is None else day

    async def _run(self, sql: str, found_by: dict, w: Windows, *, now_ms: int) -> tuple | None:
        """The counting statement's row (the caller's columns, the window's count, the day's)
        and, for a request the window refused, the day's count read after it (PG_DAY_SEEN)."""
        parameters = {
            **found_by,
            "burst_start": w.burst_start_ms,
            "burst_end": w.burst_end_ms,
            "burst_max": w.burst_max,
            "day_start": w.day_start_ms,
            "day_end": w.day_end_ms,
            "day_max": w.day_max,
        }
        cleanup = now_ms >= self._next_cleanup_ms
        if cleanup:
            self._next_cleanup_ms = now_ms + CLEANUP_EVERY_MS
        connections = self._connections.of_this_loop()
        # Not `connections.run`: a count must not be taken twice when a first try fails late.
        connection = await connections.take()
        try:
            (rows,) = await send_round(connection, [(sql, parameters)])
            found = rows[0] if rows else None
            day_seen = None
            if found is not None and found[-2] is None:  # refused by the window
                (seen,) = await send_round(
                    connection,
                    [(PG_DAY_SEEN, {"token_id": found[0], "day_start": w.day_start_ms})],
                )
                day_seen = seen[0][0] if seen else None
            if cleanup:
                await send_round(connection, [(PG_CLEANUP, {"now": now_ms})])
        except BaseException:
            await connections.drop(connection)
            raise
        connections.give_back(connection)
        return None if found is None else (*found, day_seen)

    def close(self) -> None:
        pass  # the connections are the database's (`Database.dispose` closes them)


# KEYS: the window's counter, the day's. ARGV: the window's limit, the day's, and how long each
# key lives (milliseconds). Answers {outcome, window count, day count}; the outcome is 0 when
# admitted, 1 when refused by the window (nothing counted), 2 when refused by the day.
REDIS_TAKE = """
local burst = tonumber(redis.call('GET', KEYS[1]) or '0')
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
if burst >= tonumber(ARGV[1]) then
    return {1, burst, day}
end
burst = redis.call('INCR', KEYS[1])
if burst == 1 then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
if day >= tonumber(ARGV[2]) then
    return {2, burst, day}
end
day = redis.call('INCR', KEYS[2])
if day == 1 then
    redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return {0, burst, day}
"""


class RedisCounters:
    """Every process that names the same Redis: a key per token and window (the token in braces,
    so both of a request's keys sit in one slot of a Redis Cluster), counted by one Lua script
    (atomic in Redis), created with an expiry a minute past the window's end. One pipelined
    connection per event loop (http/redis_pipe.py)."""

    in_loop = False

    def __init__(self, url: str):
        self._scripts = Scripts(
            url, REDIS_TAKE, hashlib.sha1(REDIS_TAKE.encode()).hexdigest(), timeout=REDIS_TIMEOUT_S
        )

    async def hit(self, token_id: str, w: Windows, now_ms: int) -> Counted:
        keys = [
            f"{REDIS_PREFIX}:{{{token_id}}}:{w.burst_end_ms - w.burst_start_ms}:{w.burst_start_ms}",
            f"{REDIS_PREFIX}:{{{token_id}}}:day:{w.day_start_ms}",
        ]
        arguments = [
            w.burst_max,
            w.day_max,
            w.burst_end_ms - now_ms + REDIS_EXPIRY_SLACK_MS,
            w.day_end_ms - now_ms + REDIS_EXPIRY_SLACK_MS,
        ]
        outcome, burst, day = await self._scripts.run(keys, arguments)
        if outcome == 0:
            return (burst, day, day)
        if outcome == 1:
            return (None, None, day)
        return (burst, None, day)

    def close(self) -> None:
        self._scripts.close()


def counters_for(db: Database, redis_url: str | None, live_token_sql: str):
    """Redis when configured; otherwise the database's own way of sharing counters."""
    if redis_url:
        return RedisCounters(redis_url)
    if not db.is_sqlite:
        return PostgresCounters(db, live_token_sql)
    return SharedMemoryCounters(sidecar_path(sqlite_path(db.url)))
