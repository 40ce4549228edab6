"""The read cache's rules (db/read_cache.py): rows are used again only at the version they were
read at, a new version's rows replace the old one's, other entries keep their own versions (on
PostgreSQL, other locations'), and the cache stays within its bounds."""

from opencalendars.db.read_cache import ReadCache, statement_key, weight

SQL = "SELECT start_ms, end_ms FROM blocked_slots WHERE location_id = ?"


def read_counting(rows: list, reads: list):
    def read() -> list:
        reads.append(1)
        return list(rows)

    return read


def test_rows_are_read_once_per_version_and_statement():
    cache, reads = ReadCache(), []
    rows = [(1, 2), (3, 4)]
    for _ in range(3):
        assert cache.at(7).rows(SQL, ("loc",), read_counting(rows, reads)) == rows
    assert len(reads) == 1
    # Other parameters are another statement.
    assert cache.at(7).rows(SQL, ("other",), read_counting([], reads)) == []
    assert len(reads) == 2


def test_a_new_version_reads_again_and_its_rows_replace_the_old_ones():
    cache, reads = ReadCache(), []
    cache.at(1).rows(SQL, ("loc",), read_counting([(1, 2)], reads))
    assert cache.at(2).rows(SQL, ("loc",), read_counting([(5, 6)], reads)) == [(5, 6)]
    assert len(reads) == 2
    assert len(cache) == 1
    # The old version's rows are gone: a reader still at it reads for itself.
    assert cache.at(1).cached(SQL, ("loc",)) is None


def test_what_a_reader_does_with_its_rows_is_not_the_next_readers():
    cache = ReadCache()
    first = cache.at(1).rows(SQL, ("loc",), lambda: [(1, 2)])
    first.append((9, 9))
    second = cache.at(1).rows(SQL, ("loc",), lambda: [])
    second.clear()
    assert cache.at(1).cached(SQL, ("loc",)) == [(1, 2)]


def test_bounded_by_weight_in_all_and_per_statement():
    # Each entry weighs ENTRY_WEIGHT (4) besides its rows.
    cache = ReadCache(max_weight=42, max_entry_weight=14)
    for n in range(5):
        cache.at(1).keep(SQL, (n,), [(n, n)] * 10)  # 14 each
    assert len(cache) == 3
    assert cache.at(1).cached(SQL, (0,)) is None  # the least recently used went first
    assert cache.at(1).cached(SQL, (4,)) == [(4, 4)] * 10
    cache.at(1).keep(SQL, ("big",), [(n, n) for n in range(11)])
    assert cache.at(1).cached(SQL, ("big",)) is None
    # Text weighs too, by 16 characters, and arrays by their items.
    assert weight([("member-00", "[" + "1" * 159 + "]")]) == 1 + (9 + 160) // 16
    assert weight([("member-00", [1, 2, 3], [None] * 7)]) == 1 + 10 + 9 // 16
    cache.at(1).keep(SQL, ("text",), [("[" + "1" * 250 + "]",)])
    assert cache.at(1).cached(SQL, ("text",)) is None
    # Kept again, a statement's old rows no longer count.
    cache.at(1).keep(SQL, (4,), [(4, 4)])
    cache.at(1).keep(SQL, (5,), [(5, 5)] * 10)
    assert len(cache) == 3


def test_values_made_of_rows_live_by_the_same_version_and_bounds():
    cache = ReadCache(max_weight=20, max_entry_weight=10)
    key = ("free-slots", "loc", "cal")
    cache.at(3).keep_value(key, [1, 2, 3], heft=3)  # 7 with its entry
    assert cache.at(3).value(key) == [1, 2, 3]
    assert cache.at(4).value(key) is None  # another version: not seen
    cache.at(3).keep_value(("too", "heavy"), list(range(7)), heft=7)
    assert cache.at(3).value(("too", "heavy")) is None
    # Rows and values share the bound: the least recently used goes first.
    cache.at(3).keep(SQL, ("loc",), [(1, 2)] * 5)  # 9
    cache.at(3).keep_value(("other",), [4, 5, 6], heft=3)  # 7: 23 in all, over 20
    assert cache.at(3).value(key) is None
    assert cache.at(3).cached(SQL, ("loc",)) == [(1, 2)] * 5
    # Rows of a new version replace their statement's old rows, and no other entry.
    cache.at(5).keep(SQL, ("loc",), [(7, 8)])
    assert cache.at(3).cached(SQL, ("loc",)) is None
    assert cache.at(3).value(("other",)) == [4, 5, 6] and cache.at(5).value(("other",)) is None


def test_each_locations_rows_live_by_its_own_version():
    """PostgreSQL's versions are per location: a change in one leaves the other's rows in use."""
    cache, reads = ReadCache(), []
    first, second = ("first", 10), ("second", 10)
    cache.at(first).rows(SQL, ("first",), read_counting([(1, 2)], reads))
    cache.at(second).rows(SQL, ("second",), read_counting([(3, 4)], reads))
    changed = ("first", 11)
    assert cache.at(changed).rows(SQL, ("first",), read_counting([(5, 6)], reads)) == [(5, 6)]
    assert cache.at(second).rows(SQL, ("second",), read_counting([], reads)) == [(3, 4)]
    assert len(reads) == 3
    # The same statement at another location's version is not its rows.
    assert cache.at(second).cached(SQL, ("first",)) is None


def test_results_that_found_nothing_still_count_against_the_bound():
    cache = ReadCache(max_weight=40)
    for n in range(1000):
        cache.at(1).keep(SQL, (n,), [])
        cache.at(1).keep_value(("free-slots", n), [], heft=0)
    assert len(cache) == 10  # ENTRY_WEIGHT (4) each


def test_named_parameters_and_lists_are_keys_and_what_cannot_be_is_not_cached():
    assert statement_key(SQL, {"a": 1, "b": "x"}) == statement_key(SQL, {"a": 1, "b": "x"})
    assert statement_key(SQL, {"ids": ["a", "b"]}) == statement_key(SQL, {"ids": ["a", "b"]})
    assert statement_key(SQL, {"ids": ["a", "b"]}) != statement_key(SQL, {"ids": ["b", "a"]})
    assert statement_key(SQL, {"ids": ["a"]}) != statement_key(SQL, {"ids": ("a",)})
    assert statement_key(SQL, {"rules": {"a": 1}}) is None
    cache = ReadCache()
    cache.at(1).keep(SQL, {"rules": {"a": 1}}, [(1,)])
    assert len(cache) == 0


def test_remembered_values_outlive_versions_within_their_own_bound():
    cache = ReadCache(max_weight=100, max_entry_weight=60)
    cache.remember("a", "made of a", heft=40)
    cache.at(1).keep(SQL, ("loc",), [(1, 2)])
    cache.at(2).keep(SQL, ("loc",), [(3, 4)])  # a new version: the rows of 1 are gone...
    assert cache.remembered("a") == "made of a"  # ...what was remembered is not
    cache.remember("b", "made of b", heft=40)
    cache.remembered("a")  # used last: "b" is the one to go
    cache.remember("c", "made of c", heft=40)
    assert (cache.remembered("a"), cache.remembered("b")) == ("made of a", None)
    cache.remember("d", "too heavy", heft=60)
    assert cache.remembered("d") is None
