"""The rows a free-slots request read, used again while the database has not changed since.

A booking page asks for the same calendar's month again and again, and nearly every time
nothing has been booked, blocked or edited in between: the busy reads (a team's month of
appointments is thousands of rows) would return the same rows. They are kept here by
statement and parameters, each with the *versions* of the tables it names, read before it, and
used again only by a request that reads the same versions of them. A stale answer is impossible
by construction, not unlikely. The versions are the request's location's
(db/location_versions.py): a sum per table that every committed change to that table adds to,
kept by triggers in the changing transaction itself. They are read before the rows they vouch
for (SQLite: in a statement of its own before the plan's; PostgreSQL: first in the plan's first
round, whose other rows are never kept), so those rows are at least that new, and equal versions
later mean nothing was committed to those tables for that location since, by any process.
Another location's commits, the rate limits' counting (which commits on every request on
PostgreSQL), and a change to a table a statement does not name (a block, for the read of
appointments) leave its rows in use.

What is computed from such rows can be kept the same way (`VersionRows.value`,
`keep_value`): free slots keep the starts the engine offered (slots/service.py), so a request
asked again at the same versions neither shapes the rows again nor runs the engine. A value is
kept with the versions of every table, read before every row it was made of, so it is as fresh
as the rows.

What carries with it everything it was made of can be kept across versions too
(`ReadCache.remember`): free slots remember their offered starts with the engine's inputs, and
answer with them after a commit when the inputs read again are equal (slots/service.py).

Any commit that changes a table of the location's scheduling data starts a new version of it:
entries of an older one are never used again, and give way as the new version's replace them or
as the bound drops the least recently used. So it helps where free slots are read far more often
than their data changes, and costs one statement (SQLite: a few microseconds; on PostgreSQL one
more statement in a round already sent) where it does not.
Only free slots use it, outside any booking's transaction: `Database.run_plan_seen` reads the
versions with the calendar and the clock, `Database.run_plan_at` the busy reads at those
versions (`read_plan_seen` and `read_plan_at` for the booking widget's, from a worker thread);
a booking's checks read inside their transaction, under their locks, as always.

Bounded by weight, about what a row, an item of an array, an offered start or 16 characters of
text cost (the busy reads pack a person's spans into one row: JSON text on SQLite, arrays on
PostgreSQL; a 10-member month with 2,000 appointments weighs 4,700 on SQLite, 6,600 on
PostgreSQL, its 138 offered starts with the spans they were made of and each person's starts
3,769, counted in full both where they are kept by version and where they are remembered; each
entry `ENTRY_WEIGHT` more): `MAX_WEIGHT` in all for what is kept by version and as much for what
is remembered, at most `MAX_ENTRY_WEIGHT` for one statement's rows or one value (larger ones are
not kept), the least recently used dropped first. That is a few tens of MB per process at most,
whatever the requests.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from opencalendars.db.location_versions import TableVersions

MAX_WEIGHT = 500_000
MAX_ENTRY_WEIGHT = 100_000
TEXT_PER_WEIGHT = 16
# What an entry costs besides its rows or value (its key, its place in the order): an empty result
# weighs something too, so that asking for many that find nothing cannot grow the cache unbounded.
ENTRY_WEIGHT = 4


def statement_key(sql: str, values: tuple | dict) -> Hashable | None:
    """A statement and its parameters as a key (a list, such as PostgreSQL's array of ids, as a
    tuple marked as a list's); None for parameters that cannot be one. Taken as they are when
    they are hashable, as most are: this runs for every statement of a cached plan."""
    items = values if isinstance(values, tuple) else tuple(values.items())
    for key in ((sql, items), (sql, _hashable(items))):
        try:
            hash(key)
        except TypeError:
            continue
        return key
    return None


def _hashable(value):
    if isinstance(value, list):
        return (list, *(_hashable(item) for item in value))
    if isinstance(value, tuple):
        return tuple(_hashable(item) for item in value)
    return value


def weight(rows: list) -> int:
    """Column by column: a column's values are of one type (or None), so its first value tells
    whether its lengths count. Rows of a busy read run to thousands."""
    text = items = 0
    for column in zip(*rows, strict=True):
        kind = next((type(value) for value in column if value is not None), None)
        if kind in (str, bytes):
            text += sum(len(value) for value in column if value is not None)
        elif kind is list:
            items += sum(len(value) for value in column if value is not None)
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
        # Rows and values, each with its location and the versions it was read at: one
        # location's change must not drop another's rows, nor a table's those of another.
        self._rows = _Weighed(max_weight)
        # Values kept whatever the version (`remember`), under bounds of their own.
        self._remembered = _Weighed(max_weight)
        self._lock = threading.Lock()

    def at(self, location_id: str, versions: TableVersions) -> "VersionRows":
        """This cache as one request for a location sees it, at the versions it read."""
        return VersionRows(self, location_id, versions)

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
    """The cache as one request for a location sees it: the versions of its tables, read before
    any of its rows. A statement is given with the tables it names (`CompiledRead.tables`)."""

    def __init__(self, cache: ReadCache, location_id: str, versions: TableVersions):
        self._cache = cache
        self.location_id = location_id
        self.versions = versions

    def _stamp(self, sql: str, values: tuple | dict, *, tables: tuple[str, ...]) -> tuple | None:
        """(key, version) of a statement's rows; None when they cannot be kept: parameters that
        cannot be a key, or a table that is not watched."""
        of_tables = self.versions.of(tables)
        key = None if of_tables is None else statement_key(sql, values)
        return None if key is None else (key, (self.location_id, of_tables))

    def cached(self, sql: str, values: tuple | dict, *, tables: tuple[str, ...]) -> list | None:
        stamp = self._stamp(sql, values, tables=tables)
        return None if stamp is None else self._cache._get(stamp[1], stamp[0])

    def keep(self, sql: str, values: tuple | dict, rows: list, *, tables: tuple[str, ...]) -> None:
        stamp = self._stamp(sql, values, tables=tables)
        if stamp is not None:
            self._cache._keep(stamp[1], stamp[0], rows)

    def value(self, key: Hashable):
        """What was kept under `key` (`keep_value`) at these versions, or None. Shared by every
        reader: kept values are never changed."""
        return self._cache._value((self.location_id, self.versions.whole), key)

    def keep_value(self, key: Hashable, value, *, heft: int) -> None:
        """`value`, made of rows read after these versions, kept under `key` (a key of its own
        kind: never a statement's) with `heft` counted against the cache's bound: valid while
        no table of the location changes."""
        self._cache._keep_value((self.location_id, self.versions.whole), key, value, heft=heft)

    def rows(
        self, sql: str, values: tuple | dict, read: Callable[[], list], *, tables: tuple[str, ...]
    ) -> list:
        found = self.cached(sql, values, tables=tables)
        if found is None:
            found = read()
            self.keep(sql, values, found, tables=tables)
        return found
