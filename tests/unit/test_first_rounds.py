"""What write plans' first rounds read, kept to guess the next ones with (db/loop_writes.py):
statement by statement, as copies the plan cannot change, within a bound on memory."""

import pickle

from opencalendars.db.loop_writes import ENTRY_BYTES, MAX_GUESSED_STATEMENT_BYTES, FirstRounds


def statement(n: int) -> tuple:
    """A statement as `round_statements` gives it: (fetch, compiled read, (SQL, values))."""
    return (None, None, ("SELECT row FROM calendars WHERE id = %(id)s", {"id": f"c{n}"}))


def test_a_guess_needs_every_statement_read_before():
    kept = FirstRounds()
    kept.remember([statement(1)], [[("one",)]])

    assert kept.guess([statement(1), statement(2)]) is None
    assert [pickle.loads(rows) for rows in kept.guess([statement(1)])] == [[("one",)]]


def test_what_a_plan_does_to_the_rows_it_ran_on_does_not_change_the_next_guess():
    kept = FirstRounds()
    kept.remember([statement(1)], [[({"members": ["ann"]},)]])

    (rows,) = [pickle.loads(rows) for rows in kept.guess([statement(1)])]
    rows[0][0]["members"].append("bob")

    assert pickle.loads(kept.guess([statement(1)])[0]) == [({"members": ["ann"]},)]


def test_the_rows_kept_stay_within_their_bound_the_least_recently_used_going_first():
    kept = FirstRounds(max_bytes=50_000)
    row = [("x" * 1_000,)]
    for n in range(200):
        kept.remember([statement(n)], [row])
        kept.guess([statement(0)])  # used again and again: stays

    assert sum(ENTRY_BYTES + len(rows) for rows in kept._rows.values()) <= 50_000
    assert kept.guess([statement(0)]) is not None
    assert kept.guess([statement(1)]) is None  # gone first
    assert kept.guess([statement(199)]) is not None


def test_rows_too_large_or_that_pickle_cannot_take_are_never_guessed():
    kept = FirstRounds()
    huge = [("x" * MAX_GUESSED_STATEMENT_BYTES,)]
    read = kept.remember([statement(1), statement(2)], [huge, [(lambda: None,)]])

    assert read[1] is None
    assert kept.guess([statement(1)]) is None
    assert kept.guess([statement(2)]) is None


def test_statements_that_read_nothing_count_what_their_entries_cost():
    """Bookings of calendar ids that do not exist each leave a statement that read no row: a
    few bytes of rows, but a key and a slot each, counted too."""
    kept = FirstRounds(max_bytes=50_000)
    for n in range(10_000):
        kept.remember([statement(n)], [[]])

    assert len(kept._rows) <= 50_000 // ENTRY_BYTES
    assert kept.guess([statement(9_999)]) is not None
