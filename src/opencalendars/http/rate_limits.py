"""Rate limits as HighLevel applies them: per token, a burst limit per interval and a daily limit.

A private token belongs to one location and counts as an app of its own, so "per app per
location" is per token. HighLevel's help article on API rate limits: 100 requests per 10 seconds
and 200,000 per day, and the headers below on every answer. `OPENCALENDARS_RATE_LIMITS` changes
the numbers or turns the limits off (docs/operations.md, "Rate limits").

- **Counted**: every request that reaches the token check of an API operation with a token that
  is found (`http/auth.py` calls `count_request` right after the lookup, before the `Version` and
  scope checks). Not counted: requests without a token or with an unknown or revoked one (401:
  there is no app to count them against, and counting them would let anyone fill the counter
  store), `/healthz`, `/webhooks/public-key`, `/openapi.json` and the admin API (the operator's).
- **Windows**: fixed. Interval windows are aligned to the Unix epoch (10-second windows start at
  :00, :10, ... of every minute); days are UTC days. A fixed window may let a client make up to
  twice the burst across one window boundary, as any fixed-window limiter does; it is exact
  within each window and costs one counter per window. Windows follow the real clock, never the
  sandbox's frozen admin clock (`PUT /admin/clock`): a frozen clock would never end a window,
  so a throttled client would stay throttled, and `Retry-After` must be true in real seconds.
- **Answers**: every answer to a counted request carries the headers (`Limiter.decide`), added by
  `RateLimiting`; past a limit the request is not processed: 429 in the error envelope with
  `Retry-After` (whole seconds, rounded up, until the window that refused it ends).
"""

import logging
import math
import re
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencalendars.errors import ApiError
from opencalendars.http.rate_counters import Counted, Windows, counters_for
from opencalendars.units import to_ms

log = logging.getLogger("opencalendars")

SETTING = "OPENCALENDARS_RATE_LIMITS"
DAY_MS = 86_400_000
# Counts are kept in 32-bit integer columns.
MAX_COUNT = 2**31 - 1
# Ten digits at most: enough for MAX_COUNT, and never a number too long for int().
LIMIT_FORM = re.compile(r"([0-9]{1,10})/(?:([0-9]{1,10})(ms|s|m|h)|(day))")
# The request scope's keys: the limiter (put there by RateLimiting), the answer's headers (put
# there by count_request).
LIMITER_KEY = "opencalendars.rate_limiter"
HEADERS_KEY = "opencalendars.rate_limit_headers"
# A store that fails is logged at most this often; requests go on without limits meanwhile.
FAILURE_LOG_EVERY_S = 60.0


# What to answer a counted request: its headers, and past a limit the 429's message.
Decision = tuple[list[tuple[bytes, bytes]], str | None]


class InvalidRateLimits(ValueError):
    """A malformed `OPENCALENDARS_RATE_LIMITS`: processes refuse to start."""


class TooManyRequests(ApiError):
    status_code = 429


@dataclass(frozen=True)
class RateLimits:
    burst: int = 100
    interval_ms: int = 10_000
    daily: int = 200_000


DEFAULT_RATE_LIMITS = RateLimits()


def parse_rate_limits(text: str | None) -> RateLimits | None:
    """`OPENCALENDARS_RATE_LIMITS`: unset, empty or `on` for HighLevel's limits, `off` for none,
    or both limits as `<requests>/<interval>,<requests>/day` (the interval in ms, s, m or h, at
    most a day; either order; spaces around the comma allowed), such as `100/10s,200000/day`.
    Anything else is refused, so that a typo never silently changes the limits."""
    if text is None or not text.strip():
        return DEFAULT_RATE_LIMITS
    value = text.strip().lower()
    if value == "on":
        return DEFAULT_RATE_LIMITS
    if value == "off":
        return None

    def refuse(reason: str) -> InvalidRateLimits:
        return InvalidRateLimits(
            f"{SETTING}={text!r} is not valid: {reason}; use off, or"
            " <requests>/<interval>,<requests>/day such as 100/10s,200000/day"
            " (the interval in ms, s, m or h)"
        )

    burst = daily = None
    for part in value.split(","):
        match = LIMIT_FORM.fullmatch(part.strip())
        if match is None:
            raise refuse(f"{part.strip()!r} is not a limit")
        count = int(match.group(1))
        if not 1 <= count <= MAX_COUNT:
            raise refuse(f"a limit must allow 1 to {MAX_COUNT} requests")
        if match.group(4):
            if daily is not None:
                raise refuse("it names two daily limits")
            daily = count
            continue
        if burst is not None:
            raise refuse("it names two interval limits")
        interval_ms = to_ms(int(match.group(2)), match.group(3))
        if not 1 <= interval_ms <= DAY_MS:
            raise refuse("the interval must be from 1 ms to 24 h")
        burst = (count, interval_ms)
    if burst is None or daily is None:
        raise refuse("it needs both an interval limit and a daily limit")
    return RateLimits(burst=burst[0], interval_ms=burst[1], daily=daily)


def describe_interval(interval_ms: int) -> str:
    if interval_ms % 1000:
        return f"{interval_ms} milliseconds"
    seconds = interval_ms // 1000
    return "second" if seconds == 1 else f"{seconds} seconds"


def wall_clock_ms() -> int:
    """Real time, never the admin clock (see the module's docstring). Tests replace it."""
    return time.time_ns() // 1_000_000


class Limiter:
    """Counts a token's requests in the configured store and says what to answer. Everything but
    three numbers is prepared once: the header names, the fixed values, the windows (until the
    current one ends)."""

    def __init__(self, limits: RateLimits, counters):
        self.limits = limits
        self.counters = counters
        # The stores that count in this process's memory are called directly: no coroutine.
        self.in_loop = counters.in_loop
        self._count_here = counters.hit_now if self.in_loop else None
        # The stores that find the token in the round trip that counts it (PostgreSQL).
        self.finds_tokens = hasattr(counters, "find_and_hit")
        self._fixed = [
            (b"x-ratelimit-max", b"%d" % limits.burst),
            (b"x-ratelimit-interval-milliseconds", b"%d" % limits.interval_ms),
            (b"x-ratelimit-limit-daily", b"%d" % limits.daily),
        ]
        self._day_message = (
            f"Too many requests: this token may make {limits.daily} requests per day (UTC)"
        )
        self._burst_message = (
            f"Too many requests: this token may make {limits.burst} requests per"
            f" {describe_interval(limits.interval_ms)}"
        )
        self._windows = self.windows(0)
        self._valid_from = self._valid_until = 0
        self._reset = (b"", b"")
        self._failure_logged_at = -math.inf

    def windows(self, now_ms: int) -> Windows:
        limits = self.limits
        burst_start = now_ms - now_ms % limits.interval_ms
        day_start = now_ms - now_ms % DAY_MS
        return Windows(
            burst_start,
            burst_start + limits.interval_ms,
            limits.burst,
            day_start,
            day_start + DAY_MS,
            limits.daily,
        )

    def _windows_at(self, now_ms: int) -> Windows:
        if self._valid_from <= now_ms < self._valid_until:
            return self._windows
        windows = self._windows = self.windows(now_ms)
        # Until either window ends (an interval need not divide a day).
        self._valid_from = max(windows.burst_start_ms, windows.day_start_ms)
        self._valid_until = min(windows.burst_end_ms, windows.day_end_ms)
        self._reset = (b"x-ratelimit-daily-reset", b"%d" % windows.day_end_ms)
        return windows

    def count_now(self, token_id: str) -> Decision | None:
        """`count` for the stores that count in this process's memory (`in_loop`): called
        right in the event loop, without a coroutine of its own."""
        now_ms = wall_clock_ms()
        windows = self._windows_at(now_ms)
        try:
            counted = self._count_here(token_id, windows)
        except Exception:
            self._failed()
            return None
        return self.decide(windows, counted, now_ms)

    async def count(self, token_id: str) -> Decision | None:
        """The answer's headers and, past a limit, the 429's message. None when the counters
        cannot be reached: the request goes on without limits or headers (an unreachable Redis
        must not take the API down), and the failure is logged at most once a minute."""
        if self._count_here is not None:
            return self.count_now(token_id)
        now_ms = wall_clock_ms()
        windows = self._windows_at(now_ms)
        try:
            counted = await self.counters.hit(token_id, windows, now_ms)
        except Exception:
            self._failed()
            return None
        return self.decide(windows, counted, now_ms)

    async def find_and_count(self, token_hash: str) -> tuple[tuple | None, Decision | None] | None:
        """For the stores that find the token as they count it: the live token's row (None: no
        such token, nothing counted) and what to answer. None when the store cannot be reached:
        the caller finds the token the usual way and the request goes on uncounted."""
        now_ms = wall_clock_ms()
        windows = self._windows_at(now_ms)
        try:
            row, counted = await self.counters.find_and_hit(token_hash, windows, now_ms)
        except Exception:
            self._failed()
            return None
        return row, (None if row is None else self.decide(windows, counted, now_ms))

    def _failed(self) -> None:
        if time.monotonic() - self._failure_logged_at >= FAILURE_LOG_EVERY_S:
            self._failure_logged_at = time.monotonic()
            log.exception("rate limit counters unavailable: requests are not limited")

    def decide(self, windows: Windows, counted: Counted, now_ms: int) -> Decision:
        limits = self.limits
        burst, day, day_seen = counted
        reset = self._reset
        if windows is not self._windows:  # the windows moved on while this one counted
            reset = (b"x-ratelimit-daily-reset", b"%d" % windows.day_end_ms)
        if burst is not None and day is not None:  # admitted
            return [
                *self._fixed,
                (b"x-ratelimit-remaining", b"%d" % max(0, limits.burst - burst)),
                (b"x-ratelimit-daily-remaining", b"%d" % max(0, limits.daily - day)),
                reset,
            ], None
        if burst is None:  # refused by the window (or by the day too)
            burst_remaining = 0
            day_remaining = max(0, limits.daily - day_seen)
            refusal = self._burst_message if day_remaining else self._day_message
            until_ms = windows.burst_end_ms if day_remaining else windows.day_end_ms
        else:  # refused by the day
            burst_remaining = max(0, limits.burst - burst)
            day_remaining, refusal, until_ms = 0, self._day_message, windows.day_end_ms
        # Whole seconds, rounded up, until the window that refused the request ends.
        wait_s = max(1, -(-(until_ms - now_ms) // 1000))
        return [
            *self._fixed,
            (b"x-ratelimit-remaining", b"%d" % burst_remaining),
            (b"x-ratelimit-daily-remaining", b"%d" % day_remaining),
            reset,
            (b"retry-after", b"%d" % wait_s),
        ], refusal

    def close(self) -> None:
        self.counters.close()


def create_limiter(
    limits: RateLimits | None, db, redis_url: str | None, *, live_token_sql: str
) -> Limiter | None:
    """`live_token_sql`: the token lookup (admin/tokens.py), for a store that counts in the same
    statement."""
    if limits is None:
        return None
    return Limiter(limits, counters_for(db, redis_url, live_token_sql))


async def count_request(request: Request, token_id: str) -> None:
    """Counts a request of a found token; 429 past a limit (the request is not processed). The
    answer's headers stay in the request's scope for `RateLimiting` to add."""
    limiter = request.scope.get(LIMITER_KEY)
    if limiter is None:  # limits off
        return
    counted = limiter.count_now(token_id) if limiter.in_loop else await limiter.count(token_id)
    if counted is not None:
        answer_counted(request, counted)


def answer_counted(request: Request, decision: Decision) -> None:
    """Keeps the answer's headers in the request's scope; 429 past a limit."""
    request.scope[HEADERS_KEY], refusal = decision
    if refusal is not None:
        raise TooManyRequests(refusal)


class RateLimiting:
    """Installed only when limits are on. Puts the limiter in each request's scope for the token
    check (`count_request`), and adds the rate-limit headers (and `Retry-After` on a 429) to the
    answer of every counted request, whatever answered it: the endpoint, a 4xx of validation, the
    429 itself."""

    def __init__(self, app: ASGIApp, limiter: Limiter):
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[LIMITER_KEY] = self.limiter

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = scope.get(HEADERS_KEY)
                if headers is not None:
                    message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
