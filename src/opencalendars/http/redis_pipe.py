"""A minimal Redis client for the rate limits: one pipelined connection per event loop.

redis-py's asyncio client spends 160-180 us of CPU per command (its connection pool, command
and response machinery): more than half of what a whole plain GET costs this server on SQLite.
The rate limits send one command per request, so this speaks RESP itself: each request writes
its command and waits for its reply on the one connection of its event loop, several requests
in flight at once (Redis answers a connection's commands in order, so one task reads the replies
and hands each to the oldest waiting request). redis-py still reads the URL (`redis://`,
`rediss://` for TLS, `unix://`; user, password, database number).

A connection that fails, or leaves a command unanswered for `timeout` seconds, fails every
request waiting on it and is replaced by the next request.
"""

import asyncio
import collections
import contextlib
import os
import ssl

from redis.connection import SSLConnection, UnixDomainSocketConnection, parse_url

CLIENT_NAME = "opencalendars-ratelimits"


class RedisError(Exception):
    """An error reply, or a connection that failed."""


def command(*parts: bytes | str | int) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        out += (b"$%d\r\n" % len(data), data, b"\r\n")
    return b"".join(out)


async def read_reply(reader: asyncio.StreamReader):
    """One RESP2 reply; an error reply is returned (as a RedisError), not raised: it answers one
    command and the connection goes on."""
    line = await reader.readline()
    if not line.endswith(b"\r\n"):
        raise RedisError("the connection was closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b":":
        return int(rest)
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        return RedisError(rest.decode(errors="replace"))
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else (await reader.readexactly(size + 2))[:-2]
    if kind == b"*":
        size = int(rest)
        return None if size < 0 else [await read_reply(reader) for _ in range(size)]
    raise RedisError(f"unexpected reply {line[:40]!r}")


class Pipe:
    """One connection to Redis, commands answered in the order they were sent."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float):
        self._writer = writer
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._waiting: collections.deque[tuple[asyncio.Future, asyncio.TimerHandle]] = (
            collections.deque()
        )
        self._outgoing: list[bytes] = []
        self.broken = False
        self._reading = self._loop.create_task(self._read(reader))

    @classmethod
    async def open(cls, url: str, timeout: float) -> "Pipe":
        options = parse_url(url)
        kind = options.get("connection_class")
        if kind is UnixDomainSocketConnection:
            opening = asyncio.open_unix_connection(options["path"])
        else:
            tls = ssl.create_default_context() if kind is SSLConnection else None
            host, port = options.get("host", "localhost"), options.get("port", 6379)
            opening = asyncio.open_connection(host, port, ssl=tls)
        reader, writer = await asyncio.wait_for(opening, timeout)
        pipe = cls(reader, writer, timeout)
        try:
            if options.get("password") is not None:
                user = [options["username"]] if options.get("username") else []
                await pipe.call("AUTH", *user, options["password"])
            if options.get("db"):
                await pipe.call("SELECT", options["db"])
            # Named for operators (CLIENT LIST) and tests.
            await pipe.call("CLIENT", "SETNAME", f"{CLIENT_NAME}-{os.getpid()}")
        except BaseException:
            pipe.close()
            raise
        return pipe

    async def call(self, *parts: bytes | str | int):
        if self.broken:
            raise RedisError("the connection was lost")
        reply = self._loop.create_future()
        deadline = self._loop.call_later(self._timeout, self._expire)
        self._waiting.append((reply, deadline))
        # The commands of one turn of the event loop go out in one write (one system call).
        if not self._outgoing:
            self._loop.call_soon(self._flush)
        self._outgoing.append(command(*parts))
        answer = await reply
        if isinstance(answer, RedisError):
            raise answer
        return answer

    def _flush(self) -> None:
        if not self.broken:
            self._writer.write(b"".join(self._outgoing))
        self._outgoing.clear()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                answer = await read_reply(reader)
                reply, deadline = self._waiting.popleft()
                deadline.cancel()
                if not reply.done():  # its request may have been cancelled meanwhile
                    reply.set_result(answer)
        except BaseException as error:  # closed, garbled, or this task cancelled by close()
            self._fail(error)

    def _expire(self) -> None:
        self._fail(RedisError(f"no reply from Redis within {self._timeout:g} s"))

    def _fail(self, error: BaseException) -> None:
        if not self.broken:
            self.broken = True
            self._writer.close()
            self._reading.cancel()
        while self._waiting:
            reply, deadline = self._waiting.popleft()
            deadline.cancel()
            if not reply.done():
                reply.set_exception(RedisError(f"the connection was lost: {error!r}"))

    def close(self) -> None:
        self._fail(RedisError("closed"))


class Scripts:
    """Runs one Lua script by its SHA-1 (loading it when Redis does not know it yet) on a pipe
    per event loop, opened when first needed and again after a failure."""

    def __init__(self, url: str, script: str, sha: str, *, timeout: float):
        parse_url(url)  # a malformed URL is refused when the app is built
        self._url = url
        self._script = script
        self._sha = sha
        self._timeout = timeout
        self._pipes: dict[asyncio.AbstractEventLoop, Pipe] = {}
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    async def _pipe(self) -> Pipe:
        loop = asyncio.get_running_loop()
        pipe = self._pipes.get(loop)
        if pipe is not None and not pipe.broken:
            return pipe
        lock = self._opening.setdefault(loop, asyncio.Lock())
        async with lock:  # requests arriving together open one connection
            pipe = self._pipes.get(loop)
            if pipe is None or pipe.broken:
                pipe = self._pipes[loop] = await Pipe.open(self._url, self._timeout)
            return pipe

    async def run(self, keys: list[str], arguments: list[int]):
        pipe = await self._pipe()
        try:
            return await pipe.call("EVALSHA", self._sha, len(keys), *keys, *arguments)
        except RedisError as error:
            if not str(error).startswith("NOSCRIPT"):
                raise
            return await pipe.call("EVAL", self._script, len(keys), *keys, *arguments)

    def close(self) -> None:
        for pipe in self._pipes.values():
            # Its event loop may be closed already (a test client's): nothing left to tidy.
            with contextlib.suppress(RuntimeError):
                pipe.close()
        self._pipes.clear()
