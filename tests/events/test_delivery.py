"""Delivery survives workers dying, and several workers never send one attempt twice."""

import signal
import time
from collections import Counter

from concurrency.races import calendar_with
from events.booking import book
from support.receivers import http_receiver
from support.server import live_worker

EVENTS = 40


def make_events(tenant, calendar_id, count: int) -> None:
    """`count` AppointmentCreate events: bookings across a week of mornings."""
    for n in range(count):
        day, slot = divmod(n, 8)
        start = f"2030-01-{7 + day:02d}T{9 + slot:02d}:00:00-05:00"
        book(tenant, calendar_id, start, contactId=f"contact-{n}")


def test_killing_the_worker_mid_delivery_loses_nothing(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    # A slow receiver: the worker is always in the middle of deliveries when it is killed.
    with http_receiver(delay_s=0.5) as receiver:
        sandbox.subscribe(tenant, receiver.url)
        make_events(tenant, calendar_id, EVENTS)

        with live_worker(sandbox.database_url, sandbox.directory) as first:
            receiver.wait_for(1)
            first.send_signal(signal.SIGKILL)
            first.wait()
            # A request the worker had wholly sent is recorded by its handler thread a moment
            # later, which a loaded machine can delay past this count.
            time.sleep(0.5)
        in_flight = len(receiver.received)
        assert in_flight < EVENTS
        with live_worker(sandbox.database_url, sandbox.directory):
            messages = sandbox.settled(tenant, timeout=60)

    ids = Counter(item.json()["webhookId"] for item in receiver.received)
    assert len(ids) == EVENTS  # every event arrived
    assert all(message["status"] == "delivered" for message in messages)
    # Only what was in flight when the worker died may arrive twice (at least once).
    assert sum(ids.values()) - EVENTS <= in_flight


def test_two_workers_never_deliver_the_same_attempt_twice(sandbox, clock):
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    # Small batches to a slowish receiver: one worker alone would need seconds, so both work.
    small_batches = {"OPENCALENDARS_WORKER_BATCH": "4"}
    with (
        http_receiver(delay_s=0.1) as receiver,
        live_worker(sandbox.database_url, sandbox.directory, **small_batches),
        live_worker(sandbox.database_url, sandbox.directory, **small_batches),
    ):
        sandbox.subscribe(tenant, receiver.url)
        time.sleep(2)  # both workers are up and polling
        make_events(tenant, calendar_id, EVENTS)
        messages = sandbox.settled(tenant, timeout=60)
        time.sleep(0.5)  # a second delivery of anything would arrive by now

    ids = Counter(item.json()["webhookId"] for item in receiver.received)
    assert len(ids) == EVENTS
    assert set(ids.values()) == {1}
    assert all(len(message["attempts"]) == 1 for message in messages)
    # Both workers took part: claims are shared out, not serialised behind one worker.
    workers = Counter(message["attempts"][0]["worker"] for message in messages)
    assert len(workers) == 2, workers
