"""A round of statements on PostgreSQL in one round trip, straight on libpq's pipeline.

psycopg's pipeline mode (`connection.pipeline()` and an `execute` per statement) costs about
35 µs of Python per statement on this project's benchmark machine: a cursor object, the query's
conversion, the prepared-statement manager, the queue of pending results; libpq itself, through
the same C wrapper, about 8 (bench/RESULTS.md, "session 17"). A booking sends 21 statements in
its three round trips, a free-slots request ten: that was most of what separated them from a
plain GET. Here a round is sent as libpq's pipeline takes it, with psycopg's own C parts for
what they do well (the `Transformer` dumps parameters and loads binary results exactly as a
cursor would) and nothing else around them:

- each statement is prepared on the connection once (a `Parse` ahead of its first `Execute`, in
  the same round) and named by this module; the names of at most `MAX_PREPARED` statements are
  kept per connection, the least recently used closed beyond that;
- every statement is sent, then one `Sync`, then every result is read: one round trip;
- a statement that fails aborts the ones after it in the round (PostgreSQL skips them up to
  the `Sync`); its error is raised, as psycopg raises it, once the round has been read to its
  end, so the connection is left idle (or in a failed transaction) and usable;
- cancelled or failed halfway (the socket, the server gone) the connection's state is unknown:
  the callers drop it (db/loop_connections.py, db/loop_writes.py).

Without a `BEGIN` the statements of a round run as PostgreSQL runs a pipeline up to its
`Sync` in autocommit: each statement sees what was committed before it (READ COMMITTED).
"""

import asyncio
import contextlib
import re
import weakref
from collections import OrderedDict
from collections.abc import Sequence

import psycopg
from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer

COMMIT = b"COMMIT"
# Sent here rather than by psycopg's `rollback()`, which answers it with `DEALLOCATE ALL` when
# psycopg itself prepared anything on the connection: every statement prepared here would go.
# A statement prepared here in a transaction that then fails stays prepared (a `Parse` is not
# undone), and one whose `Parse` failed was never taken as prepared.
ROLLBACK = b"ROLLBACK"
ExecStatus = pq.ExecStatus
BINARY = pq.Format.BINARY
# Statements kept prepared on one connection: `IN` lists render one statement per length.
MAX_PREPARED = 256
# Statements kept converted in the process (`IN` lists, again, make one per length).
MAX_QUERIES = 4096
_PLACEHOLDER = re.compile(rb"%\(([^)]+)\)s|%%")
_OK = (ExecStatus.TUPLES_OK, ExecStatus.COMMAND_OK, ExecStatus.EMPTY_QUERY)


class _Query:
    """A statement in PostgreSQL's own form: `$n` for psycopg's `%(name)s`, the names in order."""

    __slots__ = ("names", "sql")

    def __init__(self, sql: str):
        names: list[bytes] = []

        def number(found: re.Match) -> bytes:
            if found.group(0) == b"%%":
                return b"%"
            name = found.group(1)
            if name not in names:
                names.append(name)
            return b"$%d" % (names.index(name) + 1)

        self.sql = _PLACEHOLDER.sub(number, sql.encode())
        self.names = tuple(name.decode() for name in names)


class _Prepared:
    """A connection's prepared statements: (statement, parameter types) -> its name, the least
    recently used first."""

    __slots__ = ("made", "names", "transformer")

    def __init__(self, connection: psycopg.AsyncConnection) -> None:
        self.names: OrderedDict[tuple, bytes] = OrderedDict()
        self.made = 0
        # Kept with the connection: it finds each type's dumper and loader once.
        self.transformer = Transformer.from_context(connection)

    def new_name(self) -> bytes:
        self.made += 1
        return b"oc_%d" % self.made


_queries: dict[str, _Query] = {}
_prepared: "weakref.WeakKeyDictionary[psycopg.AsyncConnection, _Prepared]" = (
    weakref.WeakKeyDictionary()
)


def _query(sql: str) -> _Query:
    found = _queries.get(sql)
    if found is None:
        if len(_queries) >= MAX_QUERIES:
            _queries.clear()  # converted again on their next use: a few microseconds each
        found = _queries[sql] = _Query(sql)
    return found


async def send_round(
    connection: psycopg.AsyncConnection,
    statements: Sequence[tuple[str, dict]],
    *,
    begin: bool = False,
    end: bytes | None = None,
) -> list[list[tuple]]:
    """The rows of each statement (psycopg's `%(name)s` SQL and its values), sent in one round
    trip with `BEGIN` ahead and `end` (`COMMIT` or `ROLLBACK`) behind when asked. Raises the
    first failed statement's error, as psycopg would, once the round is over."""
    pgconn = connection.pgconn
    prepared = _prepared.get(connection)
    if prepared is None:
        prepared = _prepared[connection] = _Prepared(connection)
    transformer = prepared.transformer
    # Everything rendered before anything is sent: a value that cannot be sent fails here,
    # with the connection untouched.
    commands: list[tuple] = []  # (name, SQL to prepare or None, parameters, formats)
    pending: dict[tuple, bytes] = {}
    for sql, values in statements:
        query = _query(sql)
        params = transformer.dump_sequence(
            [values[name] for name in query.names], [PyFormat.AUTO] * len(query.names)
        )
        key = (query.sql, transformer.types)
        name = prepared.names.get(key) or pending.get(key)
        to_prepare = None
        if name is None:
            name = pending[key] = prepared.new_name()
            to_prepare = (key, query.sql, transformer.types)
        elif key in prepared.names:
            prepared.names.move_to_end(key)
        commands.append((name, to_prepare, params, list(transformer.formats)))
    closing = []
    while prepared.names and len(prepared.names) + len(pending) > MAX_PREPARED:
        closing.append(prepared.names.popitem(last=False)[1])
    # What each result is: a statement's rows (None), or another command's: its prepared
    # statement's key and name (a `Parse`), or () (`BEGIN`, `COMMIT`, a `DEALLOCATE`).
    expected: list = []
    pgconn.enter_pipeline_mode()
    try:
        if begin:
            pgconn.send_query_params(b"BEGIN", None)
            expected.append(())
        # First, so that the connection never holds more than MAX_PREPARED.
        for old in closing:
            # DEALLOCATE rather than libpq's own Close: that one needs libpq 17.
            pgconn.send_query_params(b"DEALLOCATE " + old, None)
            expected.append(())
        for name, to_prepare, params, formats in commands:
            if to_prepare is not None:
                key, query_sql, types = to_prepare
                pgconn.send_prepare(name, query_sql, param_types=types)
                expected.append((key, name))
            pgconn.send_query_prepared(name, params, param_formats=formats, result_format=BINARY)
            expected.append(None)
        if end is not None:
            pgconn.send_query_params(end, None)
            expected.append(())
        pgconn.pipeline_sync()
        results = await _results(pgconn, len(expected))
    finally:
        if pgconn.pipeline_status != pq.PipelineStatus.OFF:
            with contextlib.suppress(psycopg.OperationalError):
                # Fails with results still pending: the caller drops the connection.
                pgconn.exit_pipeline_mode()
    failure = None
    rows: list[list[tuple]] = []
    for result, what in zip(results, expected, strict=True):
        if result.status not in _OK:
            if failure is None and result.status == ExecStatus.FATAL_ERROR:
                failure = errors.error_from_result(result, encoding=connection.info.encoding)
            continue
        if what:
            prepared.names[what[0]] = what[1]
        elif what is None:
            transformer.set_pgresult(result, set_loaders=True, format=BINARY)
            rows.append(transformer.load_rows(0, result.ntuples, tuple))
    if failure is not None:
        raise failure
    return rows


async def _results(pgconn: pq.abc.PGconn, count: int) -> list[pq.abc.PGresult]:
    """The results of `count` commands and the `Sync` after them, the socket waited on in the
    event loop."""
    loop = asyncio.get_running_loop()
    socket = pgconn.socket
    while pgconn.flush():
        # libpq's rule for a nonblocking send: read what the server sends while waiting to
        # send the rest, or a round larger than the socket's buffers, whose results fill them
        # too, could wait on itself.
        await _ready(loop, socket, write=True)
        pgconn.consume_input()
    results: list = []
    while True:
        while pgconn.is_busy():
            await _ready(loop, socket, write=False)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            continue  # the end of one command's results
        if result.status == ExecStatus.PIPELINE_SYNC:
            if len(results) != count:
                raise psycopg.OperationalError("a round's results did not match its commands")
            return results
        results.append(result)


async def _ready(loop: asyncio.AbstractEventLoop, socket: int, *, write: bool) -> None:
    """Until the socket has something to read, or (with `write`) room to write as well."""
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(socket, wake)
    if write:
        loop.add_writer(socket, wake)
    try:
        await ready
    finally:
        loop.remove_reader(socket)
        if write:
            loop.remove_writer(socket)
