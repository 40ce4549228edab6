"""PostgreSQL connections for reads run right in the event loop (psycopg's async connections).

A read in a worker thread from SQLAlchemy's pool costs the hop to the thread and back, and (in
those days) the pool's pre-ping, a round trip of its own, before the statement itself
(bench/throughput.py: a plain GET made four round trips). Here each event loop keeps a few
autocommit connections of its own: a single-statement read is one round trip, prepared on the
server (psycopg keeps each connection's prepared statements), and the loop serves other
requests while it waits.

Instead of pinging before every use, a read that fails because its idle connection was dropped
(the server restarted, a proxy closed it) is tried once more on a new connection: reads change
nothing, so trying again is safe.
"""

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import psycopg

T = TypeVar("T")


class PerLoop(Generic[T]):
    """One value per event loop, made on the loop's first use: what holds connections or tasks
    belongs to the loop it was made on (a server process has one loop; tests may run several,
    one after another). The values of loops that have closed are dropped (`drop`) on the way."""

    def __init__(self, make: Callable[[], T], drop: Callable[[T], None] = lambda _value: None):
        self._make = make
        self._drop = drop
        self._by_loop: dict[asyncio.AbstractEventLoop, T] = {}

    def current(self) -> T:
        loop = asyncio.get_running_loop()
        value = self._by_loop.get(loop)
        if value is None:
            for ended in [other for other in self._by_loop if other.is_closed()]:
                self._drop(self._by_loop.pop(ended))
            value = self._by_loop[loop] = self._make()
        return value

    def values(self) -> list[T]:
        return list(self._by_loop.values())

    def clear(self) -> None:
        for value in self._by_loop.values():
            self._drop(value)
        self._by_loop.clear()


class AsyncConnections:
    """At most `size` async connections (autocommit) for one event loop, handed out one request
    at a time; a request finding all of them in use waits its turn, in order. At most `writers`
    of them hold a write plan's transaction at once (`writing`): bookings waiting for one
    another's locks keep their connections meanwhile, and the rest stay free for reads."""

    def __init__(self, conninfo: str, size: int, writers: int):
        self._conninfo = conninfo
        self._size = size
        self.writing = asyncio.Semaphore(writers)
        self._open = 0
        self._idle: list[psycopg.AsyncConnection] = []
        self._waiting: collections.deque[asyncio.Future] = collections.deque()

    async def run(self, use: Callable[[psycopg.AsyncConnection], Awaitable[T]]) -> T:
        """`use(connection)` on a connection of this loop's; once more on a new one when an idle
        connection turns out to be dead. Only for work that may safely run twice."""
        connection, found = await self.take_for(use)
        self.give_back(connection)
        return found

    async def take_for(
        self, use: Callable[[psycopg.AsyncConnection], Awaitable[T]]
    ) -> tuple[psycopg.AsyncConnection, T]:
        """A connection and `use(connection)`, tried as `run` tries it, the connection kept for
        what follows (a transaction's next rounds): give it back, or drop it when it failed."""
        connection, was_idle = await self._take()
        try:
            return connection, await use(connection)
        except psycopg.OperationalError:
            await self.drop(connection)
            if not was_idle:
                raise
            connection, _ = await self._take(new=True)
            try:
                return connection, await use(connection)
            except BaseException:
                await self.drop(connection)
                raise
        except BaseException:
            # Cancelled or failed halfway: the connection's state is unknown.
            await self.drop(connection)
            raise

    async def take(self) -> psycopg.AsyncConnection:
        """A connection to give back (`give_back`), or to `drop` when it failed."""
        connection, _ = await self._take()
        return connection

    async def _take(self, new: bool = False) -> tuple[psycopg.AsyncConnection, bool]:
        if self._idle and not new:
            return self._idle.pop(), True
        if self._open < self._size:
            self._open += 1
            try:
                connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            except BaseException:
                self._open -= 1
                self._wake(None)
                raise
            return connection, False
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            connection = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.result() is not None:
                self.give_back(waiter.result())
            raise
        # None: a connection was dropped, so there is room to open one.
        if connection is None:
            return await self._take(new)
        return connection, True

    def give_back(self, connection: psycopg.AsyncConnection) -> None:
        if not self._wake(connection):
            self._idle.append(connection)

    async def drop(self, connection: psycopg.AsyncConnection) -> None:
        """A connection that failed: closed, and its place given to the next request."""
        self._open -= 1
        self._wake(None)
        with contextlib.suppress(Exception):
            await connection.close()

    def abandon(self) -> None:
        """Closes the idle connections of a loop that has ended (no loop left to await on)."""
        for connection in self._idle:
            connection.pgconn.finish()
        self._idle.clear()

    def _wake(self, connection: psycopg.AsyncConnection | None) -> bool:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False


class LoopConnections:
    """One `AsyncConnections` per event loop: a connection belongs to the loop it was opened on."""

    def __init__(self, conninfo: str, size: int, writers: int):
        self.conninfo = conninfo
        self._per_loop = PerLoop(
            lambda: AsyncConnections(conninfo, size, writers), drop=AsyncConnections.abandon
        )

    def of_this_loop(self) -> AsyncConnections:
        return self._per_loop.current()

    def clear(self) -> None:
        self._per_loop.clear()
