"""The read cache's rules (db/read_cache.py): rows are used again only at the versions of their
tables they were read at, a new version's rows replace the old one's, other entries keep their
own versions (other locations', other tables'), values live by every table's version, and the
cache stays within its bounds."""

from opencalendars.availability.engine import FreeSlots, Person, SlotRules
from opencalendars.db.location_versions import TableVersions
from opencalendars.db.read_cache import ReadCache, VersionRows, statement_key, weight
from opencalendars.slots.service import SlotsAsked, keep_starts

SQL = "SELECT start_ms, end_ms FROM blocked_slots WHERE location_id = ?"
TABLES = ("blocked_slots",)


class At:
    """The cache at `version` of the blocked slots (and `others` of the appointments) of a
    location, with SQL's tables given."""

    def __init__(self, cache: ReadCache, version: int, location: str = "loc", others: int = 0):
        versions = TableVersions([("blocked_slots", version), ("appointments", others)])
        self.seen: VersionRows = cache.at(location, versions)

    def rows(self, sql, values, read):
        return self.seen.rows(sql, values, read, tables=TABLES)

    def cached(self, sql, values):
        return self.seen.cached(sql, values, tables=TABLES)

    def keep(self, sql, values, rows):
        self.seen.keep(sql, values, rows, tables=TABLES)

    def value(self, key):
        return self.seen.value(key)

    def keep_value(self, key, value, *, heft):
        self.seen.keep_value(key, value, heft=heft)


def at(cache: ReadCache, version: int, location: str = "loc", others: int = 0) -> At:
    return At(cache, version, location, others)


def read_counting(rows: list, reads: list):
    def read() -> list:
        reads.append(1)
        return list(rows)

    return read


def test_rows_are_read_once_per_version_and_statement():
    cache, reads = ReadCache(), []
    rows = [(1, 2), (3, 4)]
    for _ in range(3):
        assert at(cache, 7).rows(SQL, ("loc",), read_counting(rows, reads)) == rows
    assert len(reads) == 1
    # Other parameters are another statement.
    assert at(cache, 7).rows(SQL, ("other",), read_counting([], reads)) == []
    assert len(reads) == 2


def test_a_new_version_reads_again_and_its_rows_replace_the_old_ones():
    cache, reads = ReadCache(), []
    at(cache, 1).rows(SQL, ("loc",), read_counting([(1, 2)], reads))
    assert at(cache, 2).rows(SQL, ("loc",), read_counting([(5, 6)], reads)) == [(5, 6)]
    assert len(reads) == 2
    assert len(cache) == 1
    # The old version's rows are gone: a reader still at it reads for itself.
    assert at(cache, 1).cached(SQL, ("loc",)) is None


def test_what_a_reader_does_with_its_rows_is_not_the_next_readers():
    cache = ReadCache()
    first = at(cache, 1).rows(SQL, ("loc",), lambda: [(1, 2)])
    first.append((9, 9))
    second = at(cache, 1).rows(SQL, ("loc",), lambda: [])
    second.clear()
    assert at(cache, 1).cached(SQL, ("loc",)) == [(1, 2)]


def test_bounded_by_weight_in_all_and_per_statement():
    # Each entry weighs ENTRY_WEIGHT (4) besides its rows.
    cache = ReadCache(max_weight=42, max_entry_weight=14)
    for n in range(5):
        at(cache, 1).keep(SQL, (n,), [(n, n)] * 10)  # 14 each
    assert len(cache) == 3
    assert at(cache, 1).cached(SQL, (0,)) is None  # the least recently used went first
    assert at(cache, 1).cached(SQL, (4,)) == [(4, 4)] * 10
    at(cache, 1).keep(SQL, ("big",), [(n, n) for n in range(11)])
    assert at(cache, 1).cached(SQL, ("big",)) is None
    # Text weighs too, by 16 characters, and arrays by their items.
    assert weight([("member-00", "[" + "1" * 159 + "]")]) == 1 + (9 + 160) // 16
    assert weight([("member-00", [1, 2, 3], [None] * 7)]) == 1 + 10 + 9 // 16
    at(cache, 1).keep(SQL, ("text",), [("[" + "1" * 250 + "]",)])
    assert at(cache, 1).cached(SQL, ("text",)) is None
    # Kept again, a statement's old rows no longer count.
    at(cache, 1).keep(SQL, (4,), [(4, 4)])
    at(cache, 1).keep(SQL, (5,), [(5, 5)] * 10)
    assert len(cache) == 3


def test_values_made_of_rows_live_by_the_same_version_and_bounds():
    cache = ReadCache(max_weight=20, max_entry_weight=10)
    key = ("free-slots", "loc", "cal")
    at(cache, 3).keep_value(key, [1, 2, 3], heft=3)  # 7 with its entry
    assert at(cache, 3).value(key) == [1, 2, 3]
    assert at(cache, 4).value(key) is None  # another version: not seen
    at(cache, 3).keep_value(("too", "heavy"), list(range(7)), heft=7)
    assert at(cache, 3).value(("too", "heavy")) is None
    # Rows and values share the bound: the least recently used goes first.
    at(cache, 3).keep(SQL, ("loc",), [(1, 2)] * 5)  # 9
    at(cache, 3).keep_value(("other",), [4, 5, 6], heft=3)  # 7: 23 in all, over 20
    assert at(cache, 3).value(key) is None
    assert at(cache, 3).cached(SQL, ("loc",)) == [(1, 2)] * 5
    # Rows of a new version replace their statement's old rows, and no other entry.
    at(cache, 5).keep(SQL, ("loc",), [(7, 8)])
    assert at(cache, 3).cached(SQL, ("loc",)) is None
    assert at(cache, 3).value(("other",)) == [4, 5, 6] and at(cache, 5).value(("other",)) is None


def test_each_locations_rows_live_by_its_own_version():
    """A change in one location leaves the other's rows in use."""
    cache, reads = ReadCache(), []
    at(cache, 10, "first").rows(SQL, ("first",), read_counting([(1, 2)], reads))
    at(cache, 10, "second").rows(SQL, ("second",), read_counting([(3, 4)], reads))
    changed = at(cache, 11, "first")
    assert changed.rows(SQL, ("first",), read_counting([(5, 6)], reads)) == [(5, 6)]
    assert at(cache, 10, "second").rows(SQL, ("second",), read_counting([], reads)) == [(3, 4)]
    assert len(reads) == 3
    # The same statement at another location's versions is not its rows.
    assert at(cache, 10, "second").cached(SQL, ("first",)) is None


def test_rows_live_by_the_versions_of_their_own_tables_and_values_by_every_tables():
    """A change to the appointments leaves a read of the blocked slots in use, not what was made
    of every read."""
    cache, reads = ReadCache(), []
    at(cache, 1, others=1).rows(SQL, ("loc",), read_counting([(1, 2)], reads))
    at(cache, 1, others=1).keep_value(("free-slots",), [5], heft=1)
    after = at(cache, 1, others=2)
    assert after.rows(SQL, ("loc",), read_counting([(9, 9)], reads)) == [(1, 2)]
    assert len(reads) == 1
    assert after.value(("free-slots",)) is None
    assert at(cache, 1, others=1).value(("free-slots",)) == [5]


def test_reads_of_a_table_without_versions_are_never_kept():
    """Only the watched tables' changes move a version: a read naming another table (or none
    that is known, as textual SQL) would be kept forever."""
    cache = ReadCache()
    seen = cache.at("loc", TableVersions([("blocked_slots", 1)]))
    for tables in (("blocked_slots", "contacts"), ("contacts",), ()):
        reads = []
        for _ in range(2):
            seen.rows(SQL, ("loc",), read_counting([(1, 2)], reads), tables=tables)
        assert len(reads) == 2
    assert len(cache) == 0


def test_results_that_found_nothing_still_count_against_the_bound():
    cache = ReadCache(max_weight=40)
    for n in range(1000):
        at(cache, 1).keep(SQL, (n,), [])
        at(cache, 1).keep_value(("free-slots", n), [], heft=0)
    assert len(cache) == 10  # ENTRY_WEIGHT (4) each


def test_named_parameters_and_lists_are_keys_and_what_cannot_be_is_not_cached():
    assert statement_key(SQL, {"a": 1, "b": "x"}) == statement_key(SQL, {"a": 1, "b": "x"})
    assert statement_key(SQL, {"ids": ["a", "b"]}) == statement_key(SQL, {"ids": ["a", "b"]})
    assert statement_key(SQL, {"ids": ["a", "b"]}) != statement_key(SQL, {"ids": ["b", "a"]})
    assert statement_key(SQL, {"ids": ["a"]}) != statement_key(SQL, {"ids": ("a",)})
    assert statement_key(SQL, {"rules": {"a": 1}}) is None
    cache = ReadCache()
    at(cache, 1).keep(SQL, {"rules": {"a": 1}}, [(1,)])
    assert len(cache) == 0


def test_remembered_values_outlive_versions_within_their_own_bound():
    cache = ReadCache(max_weight=100, max_entry_weight=60)
    cache.remember("a", "made of a", heft=40)
    at(cache, 1).keep(SQL, ("loc",), [(1, 2)])
    at(cache, 2).keep(SQL, ("loc",), [(3, 4)])  # a new version: the rows of 1 are gone...
    assert cache.remembered("a") == "made of a"  # ...what was remembered is not
    cache.remember("b", "made of b", heft=40)
    cache.remembered("a")  # used last: "b" is the one to go
    cache.remember("c", "made of c", heft=40)
    assert (cache.remembered("a"), cache.remembered("b")) == ("made of a", None)
    cache.remember("d", "too heavy", heft=60)
    assert cache.remembered("d") is None


def test_starts_kept_by_version_weigh_the_inputs_they_hold():
    """Free slots keep one object, their starts with the engine's inputs, both by version and
    remembered. A query that offers no start from thousands of busy spans is as heavy where it
    is kept by version as where it is remembered: past the bound for one value, it is kept in
    neither (counted by its starts alone, it would pass as light and pile up)."""
    cache = ReadCache(max_weight=10_000, max_entry_weight=1_000)
    busy = [(n * 10, n * 10 + 5) for n in range(2_000)]
    person = Person("ann", windows=[(0, 20_000)], blocking=busy)
    asked = SlotsAsked(calendar=None, members=["ann"], rules=SlotRules(1, 1), key=("free-slots",))
    seen = at(cache, 1).seen

    def keep(person: Person) -> None:
        found = FreeSlots(by_person={"ann": []}, starts=[])
        keep_starts(cache, seen, asked, found=found, made_of=((person,), (), False))

    keep(person)
    assert seen.value(asked.key) is None
    assert cache.remembered(asked.key) is None
    keep(Person("ann", windows=[(0, 20_000)]))
    assert seen.value(asked.key) is not None
