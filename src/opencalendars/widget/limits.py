"""The per-IP limit on the widget's posts (booking, reschedule, cancel): a token bucket per
client address, in this process's memory.

Each address may post `capacity` times at once and gains a post back every `period / capacity`
seconds (10 a minute by default). The table of addresses is bounded: past `max_addresses` the
least recently seen one is forgotten. With several server processes each counts on its own, so
an address may post up to that many times more (docs/widget.md, "Abuse").
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

DEFAULT_CAPACITY = 10
DEFAULT_PERIOD_S = 60.0
DEFAULT_MAX_ADDRESSES = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class PostLimiter:
    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        period_s: float = DEFAULT_PERIOD_S,
        max_addresses: int = DEFAULT_MAX_ADDRESSES,
    ):
        if capacity < 1 or period_s <= 0 or max_addresses < 1:
            raise ValueError("a limiter needs a capacity, a period and room for addresses")
        self.capacity = capacity
        self.rate = capacity / period_s  # tokens a second
        self.max_addresses = max_addresses
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, address: str, now: float | None = None) -> float | None:
        """None when `address` may post now (a token is taken); else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.pop(address, None)
            if bucket is None:
                bucket = _Bucket(float(self.capacity), now)
            else:
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(float(self.capacity), bucket.tokens + elapsed * self.rate)
                bucket.updated = now
            self._buckets[address] = bucket
            while len(self._buckets) > self.max_addresses:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return (1 - bucket.tokens) / self.rate


_create_lock = threading.Lock()


def limiter_of(state) -> PostLimiter:
    """The app's limiter (`app.state.widget_limiter`), made with the defaults on first use."""
    found = getattr(state, "widget_limiter", None)
    if found is not None:
        return found
    with _create_lock:
        found = getattr(state, "widget_limiter", None)
        if found is None:
            found = PostLimiter()
            state.widget_limiter = found
    return found
