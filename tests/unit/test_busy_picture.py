"""The busy-time picture (busy.people) is the same whatever order the database returns its rows
in: PostgreSQL fills an aggregate's arrays in the order its plan reads the rows, and the plan of
a prepared statement may change between two runs (a custom plan, then a generic one). Free
slots answer with starts remembered from equal inputs (slots.service.starts_made_before), so
equal busy time must give equal inputs."""

import random

from opencalendars.busy.people import people_busy
from opencalendars.context import LocationContext

CONTEXT = LocationContext("location", "UTC")
HOUR = 3_600_000


def picture(order: random.Random):
    """people_busy of ann and bo seen from calendar `cal`, each fetch answered with its rows (as
    PostgreSQL gives them) in the order `order` shuffles them into."""
    ann_held = [(None, h * HOUR, h * HOUR + HOUR // 2) for h in range(0, 40, 3)]
    ann_held += [("other", h * HOUR, h * HOUR + HOUR) for h in range(1, 40, 5)]
    order.shuffle(ann_held)
    calendars, starts, ends = (list(column) for column in zip(*ann_held, strict=True))
    rows = [
        [("bo", 5 * HOUR, 6 * HOUR), (None, 9 * HOUR, 10 * HOUR), (None, 2 * HOUR, 3 * HOUR)],
        [("ann", calendars, starts, ends)],
        [("bo", "other", 30 * HOUR, 31 * HOUR), ("bo", "cal", 4 * HOUR, 5 * HOUR)],
        [],
        [("bo", 8 * HOUR, 9 * HOUR), ("bo", 1 * HOUR, 2 * HOUR)],
        [("ann", 20 * HOUR, 21 * HOUR), ("ann", 7 * HOUR, 8 * HOUR)],
    ]
    for found in rows:
        order.shuffle(found)
    plan = people_busy(
        CONTEXT, user_ids=["ann", "bo"], busy_from=0, busy_to=50 * HOUR, calendar_id="cal"
    )
    fetches = plan.send(None)
    fetches = plan.send([fetch.result(found) for fetch, found in zip(fetches, rows, strict=True)])
    try:  # the other calendar's buffers
        plan.send([{"other": (0, 0)}])
    except StopIteration as finished:
        return finished.value
    raise AssertionError("people_busy read more than two rounds")


def test_the_busy_picture_is_the_same_whatever_order_the_rows_come_in():
    first = picture(random.Random(1))
    for seed in range(2, 12):
        assert picture(random.Random(seed)) == first
    assert first.calendar_blocks == sorted(first.calendar_blocks)
    for spans in (*first.same.values(), *first.blocking.values()):
        assert spans == sorted(spans)
