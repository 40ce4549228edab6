"""Rows kept in the process, forgotten the moment PostgreSQL says their tables changed.

For a read every request makes and whose rows rarely change (the token lookup): each event loop
keeps a connection that `LISTEN`s on a channel, which triggers on the tables `NOTIFY` when a
statement changing them commits (migration 0017). A notification empties the cache. So a change
made by any process, on any host, through the API or by hand in SQL, reaches every process
within the notification's delivery time (milliseconds), not a TTL.

The cache only answers while its connection is known to hear. Until the connection has heard a
notification of its own, after it is lost, and once such an echo fails to come back within a
second (checked every second), every lookup reads the database and nothing is kept: a change
made while nobody listened is never served from memory. A row read
while a notification arrived is not kept either (the generation check below), so a read that
started before a change and ended after it cannot put the old row back. Misses are not kept: a
new token works at once, and random tokens cannot fill the cache.
"""

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

import psycopg

from opencalendars.db.loop_connections import PerLoop

log = logging.getLogger("opencalendars")

# The listening connection hears its own notification this often, or the cache stops answering:
# a connection that died without a word (a half-open TCP connection) or that stopped hearing is
# found out within HEALTH_CHECK_S + HEALTH_TIMEOUT_S.
HEALTH_CHECK_S = 1.0
HEALTH_TIMEOUT_S = 1.0
RECONNECT_AFTER_S = 1.0
# A bound on memory (least recently used first out), and on staleness should every safeguard
# above fail at once.
MAX_ENTRIES = 10_000
MAX_AGE_S = 300.0
# The payload of a health check's own notification (a change's payload is its table's name).
PING = "echo:"


class ListenerDeaf(Exception):
    """The listening connection no longer hears its own notifications."""


class LoopCache:
    """The cache of one event loop, and the task that listens for it."""

    def __init__(self) -> None:
        # `forget` may come from a worker thread (this process's own change, `NotifiedCache.
        # forget`) while the event loop keeps a row: one at a time, so no generation is lost.
        self._lock = threading.Lock()
        self.listening = False
        # Counts what made kept rows unsafe (a notification, listening starting or stopping).
        self.generation = 0
        self.entries: OrderedDict[str, tuple[tuple, float]] = OrderedDict()
        self.task: asyncio.Task | None = None

    def get(self, key: str) -> tuple | None:
        if not self.listening:
            return None
        found = self.entries.get(key)
        if found is None:
            return None
        row, kept_at = found
        if time.monotonic() - kept_at > MAX_AGE_S:
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return row

    def keep(self, key: str, row: tuple, generation: int) -> None:
        with self._lock:
            if not self.listening or generation != self.generation:
                return
            self.entries[key] = (row, time.monotonic())
            if len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)

    def forget(self, listening: bool) -> None:
        with self._lock:
            self.listening = listening
            self.generation += 1
            self.entries.clear()


class NotifiedCache:
    """Rows by key, per event loop, emptied by a notification on `channel`."""

    def __init__(self, conninfo: str, channel: str):
        self._conninfo = conninfo
        self._channel = channel
        self._caches = PerLoop(LoopCache)

    async def find(self, key: str, read: Callable[[], Awaitable[tuple | None]]) -> tuple | None:
        """The kept row of `key`, or `read()`'s (kept when found and nothing changed meanwhile)."""
        cache = self._of_this_loop()
        row = cache.get(key)
        if row is not None:
            return row
        generation = cache.generation
        row = await read()
        if row is not None:
            cache.keep(key, row, generation)
        return row

    def forget(self) -> None:
        """Empties every loop's cache at once, from any thread: for this process's own change,
        whose next request must not wait for the notification (a few milliseconds)."""
        for cache in self._caches.values():
            cache.forget(listening=cache.listening)

    def _of_this_loop(self) -> LoopCache:
        cache = self._caches.current()
        if cache.task is None or cache.task.done():
            cache.task = asyncio.get_running_loop().create_task(
                self._listen(cache), name=f"listen {self._channel}"
            )
        return cache

    async def _listen(self, cache: LoopCache) -> None:
        while True:
            try:
                await self._listen_once(cache)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning(
                    "%s: not listening (%s); the cache is off meanwhile", self._channel, error
                )
            finally:
                cache.forget(listening=False)
            await asyncio.sleep(RECONNECT_AFTER_S)

    async def _listen_once(self, cache: LoopCache) -> None:
        connection = await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, application_name=f"opencalendars {self._channel}"
        )
        try:
            await connection.execute(f"LISTEN {self._channel}")
            while True:
                await self._hear_own_echo(connection, cache)
                if not cache.listening:
                    cache.forget(listening=True)
                await self._hear_changes(connection, cache, HEALTH_CHECK_S)
        finally:
            await connection.close()

    async def _hear_own_echo(self, connection: psycopg.AsyncConnection, cache: LoopCache) -> None:
        """The health check: a notification of this connection's own must come back on it. It
        proves the whole path a change's notification takes, where a `SELECT 1` would not (a
        pooler in transaction mode answers queries but loses a session's `LISTEN`)."""
        echo = f"{PING}{secrets.token_hex(8)}"
        await connection.execute("SELECT pg_notify(%s, %s)", (self._channel, echo))
        if not await self._hear_changes(connection, cache, HEALTH_TIMEOUT_S, echo=echo):
            raise ListenerDeaf(f"no echo within {HEALTH_TIMEOUT_S} s")

    @staticmethod
    async def _hear_changes(
        connection: psycopg.AsyncConnection, cache: LoopCache, seconds: float, *, echo: str = ""
    ) -> bool:
        """Empties the cache on each change heard for `seconds`; True when `echo` came back.
        Notifications that arrive between two of these calls wait in psycopg's backlog."""
        async with contextlib.aclosing(connection.notifies(timeout=seconds)) as heard:
            async for notify in heard:
                if notify.payload == echo:
                    return True
                if not notify.payload.startswith(PING):  # other processes' echoes change nothing
                    cache.forget(listening=cache.listening)
        return False
