"""The rows a free-slots request read, used again while the database has not changed since.

A booking page asks for the same calendar's month again and again, and nearly every time
nothing has been booked, blocked or edited in between: the busy reads (a team's month of
appointments is thousands of rows) would return the same rows. They are kept here by
statement and parameters, each with the *version* read before it, and used again only by a
request that reads the same version. A stale answer is impossible by construction, not
unlikely. The version is the request's location's (db/location_versions.py): a sum that every
committed change to a table free slots read adds to, kept by triggers in the changing
transaction itself. It is read before the rows it vouches for (SQLite: in a statement of its
own before the plan's; PostgreSQL: first in the plan's first round, whose other rows are never
kept), so those rows are at least that new, and an equal version later means nothing was
committed for that location since, by any process. Another location's commits, and the rate
limits' counting (which commits on every request on PostgreSQL), leave it as it was.

What is computed from such rows can be kept the same way (`VersionRows.value`,
`keep_value`): free slots keep the starts the engine offered (slots/service.py), so a request
asked again at the same version neither shapes the rows again nor runs the engine. A value is
kept with the version read before every row it was made of, so it is as fresh as the rows.

What carries with it everything it was made of can be kept across versions too
(`ReadCache.remember`): free slots remember their offered starts with the engine's inputs, and
answer with them after a commit when the inputs read again are equal (slots/service.py).

Any commit that changes the location's scheduling data starts a new version: entries of an
older one are never used again, and give way as the new version's replace them or as the bound
drops the least recently used. So it helps where free slots are read far more often than their
data changes, and costs one statement (SQLite: a few microseconds; on PostgreSQL one more
statement in a round already sent) where it does not.
Only `Database.run_plan_seen` (the free-slots API's first reads, outside any transaction) and,
on SQLite, `Database.read_plan_seen` (the booking widget's) use it; a booking's checks read
inside their transaction, under their locks, as always.

Bounded by weight, about what a row, an item of an array, an offered start or 16 characters of
text cost (the busy reads pack a person's spans into one row: JSON text on SQLite, arrays on
PostgreSQL; a 10-member month with 2,000 appointments weighs 4,700 on SQLite, 6,600 on
PostgreSQL, its 138 offered starts 138, remembered with the spans they were made of 3,470; each
entry `ENTRY_WEIGHT` more): `MAX_WEIGHT` in all for what is kept by version and as much for what
is remembered, at most `MAX_ENTRY_WEIGHT` for one statement's rows or one value (larger ones are
not kept), the least recently used dropped first. That is a few tens of MB per process at most,
whatever the requests.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

MAX_WEIGHT = 500_000
MAX_ENTRY_WEIGHT = 100_000
TEXT_PER_WEIGHT = 16
# What an entry costs besides its rows or value (its key, its place in the order): an empty result
# weighs something too, so that asking for many that find nothing cannot grow the cache unbounded.
ENTRY_WEIGHT = 4


def statement_key(sql: str, values: tuple | dict) -> Hashable | None:
    """A statement and its parameters as a key (a list, such as PostgreSQL's array of ids, as a
    tuple); None for parameters that cannot be one."""
    items = values if isinstance(values, tuple) else values.items()
    key = (sql, tuple(_hashable(item) for item in items))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _hashable(value):
    if isinstance(value, list):
        return (list, *(_hashable(item) for item in value))
    if isinstance(value, tuple):
        return tuple(_hashable(item) for item in value)
    return value


def weight(rows: list) -> int:
    text = items = 0
    for row in rows:
        for value in row:
            if isinstance(value, str | bytes):
                text += len(value)
            elif isinstance(value, list):
                items += len(value)
    return len(rows) + items + text // TEXT_PER_WEIGHT


class _Weighed:
    """Entries by key, the least recently used first, within a total weight (not thread-safe:
    `ReadCache` holds its lock around every use)."""

    def __init__(self, max_weight: int):
        self.max_weight = max_weight
        self.entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self.weight = 0

    def get(self, key: Hashable):
        entry = self.entries.get(key)
        if entry is None:
            return None
        self.entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value, heft: int) -> None:
        replaced = self.entries.pop(key, None)
        if replaced is not None:
            self.weight -= replaced[1]
        self.entries[key] = (value, heft)
        self.weight += heft
        while self.weight > self.max_weight:
            self.weight -= self.entries.popitem(last=False)[1][1]


class ReadCache:
    def __init__(self, max_weight: int = MAX_WEIGHT, max_entry_weight: int = MAX_ENTRY_WEIGHT):
        self.max_entry_weight = max_entry_weight
        # Rows and values, each with the version it was read at: on PostgreSQL versions are
        # per location, and one location's change must not drop another's rows.
        self._rows = _Weighed(max_weight)
        # Values kept whatever the version (`remember`), under bounds of their own.
        self._remembered = _Weighed(max_weight)
        self._lock = threading.Lock()

    def at(self, version: Hashable) -> "VersionRows":
        """This cache as one request sees it, at the version it read."""
        return VersionRows(self, version)

    def __len__(self) -> int:
        return len(self._rows.entries)

    def _get(self, version: Hashable, key: Hashable) -> list | None:
        rows = self._value(version, key)
        # A list of its own for each reader: what one reader does with it is not the next's.
        return None if rows is None else list(rows)

    def _value(self, version: Hashable, key: Hashable):
        with self._lock:
            entry = self._rows.get(key)
        if entry is None or entry[0] != version:
            return None
        return entry[1]

    def _keep(self, version: Hashable, key: Hashable, rows: list) -> None:
        self._keep_value(version, key, tuple(rows), heft=weight(rows))

    def _keep_value(self, version: Hashable, key: Hashable, value, *, heft: int) -> None:
        heft += ENTRY_WEIGHT
        if heft > self.max_entry_weight:
            return
        with self._lock:
            # A newer version's (or, from a slower request, an older one's) in place of any other:
            # equal versions are all that is ever compared.
            self._rows.put(key, (version, value), heft)

    def remembered(self, key: Hashable):
        """What was remembered under `key` (`remember`), at whatever version, or None."""
        with self._lock:
            return self._remembered.get(key)

    def remember(self, key: Hashable, value, *, heft: int) -> None:
        """`value` kept under `key` across versions: for what carries with it everything it was
        made of, so that a reader can check it still holds (free slots keep the engine's inputs
        with its starts). Bounded as the rows are, apart from them."""
        heft += ENTRY_WEIGHT
        if heft > self.max_entry_weight:
            return
        with self._lock:
            self._remembered.put(key, value, heft)


class VersionRows:
    """The cache as one request sees it: its version, read before any of its rows."""

    def __init__(self, cache: ReadCache, version: Hashable):
        self._cache = cache
        self.version = version

    def cached(self, sql: str, values: tuple | dict) -> list | None:
        key = statement_key(sql, values)
        return None if key is None else self._cache._get(self.version, key)

    def keep(self, sql: str, values: tuple | dict, rows: list) -> None:
        key = statement_key(sql, values)
        if key is not None:
            self._cache._keep(self.version, key, rows)

    def value(self, key: Hashable):
        """What was kept under `key` (`keep_value`) at this version, or None. Shared by every
        reader: kept values are never changed."""
        return self._cache._value(self.version, key)

    def keep_value(self, key: Hashable, value, *, heft: int) -> None:
        """`value`, made of rows read after this version, kept under `key` (a key of its own
        kind: never a statement's) with `heft` counted against the cache's bound."""
        self._cache._keep_value(self.version, key, value, heft=heft)

    def rows(self, sql: str, values: tuple | dict, read: Callable[[], list]) -> list:
        found = self.cached(sql, values)
        if found is None:
            found = read()
            self.keep(sql, values, found)
        return found
