"""`OPENCALENDARS_RATE_LIMITS`: the forms accepted, the forms refused, and a process that refuses
to start on a malformed value with one line saying why."""

import os
import subprocess
import sys

import pytest

from opencalendars.http.rate_limits import (
    DEFAULT_RATE_LIMITS,
    InvalidRateLimits,
    RateLimits,
    parse_rate_limits,
)
from opencalendars.settings import Settings

SETTING = "OPENCALENDARS_RATE_LIMITS"
USE = (
    "use off, or <requests>/<interval>,<requests>/day such as 100/10s,200000/day"
    " (the interval in ms, s, m or h)"
)


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        (None, DEFAULT_RATE_LIMITS),
        ("", DEFAULT_RATE_LIMITS),
        ("  ", DEFAULT_RATE_LIMITS),
        ("on", DEFAULT_RATE_LIMITS),
        ("off", None),
        ("OFF", None),
        (" off ", None),
        ("100/10s,200000/day", RateLimits(burst=100, interval_ms=10_000, daily=200_000)),
        ("200000/day,100/10s", RateLimits(burst=100, interval_ms=10_000, daily=200_000)),
        ("100/10s, 200000/day", RateLimits(burst=100, interval_ms=10_000, daily=200_000)),
        ("100/60s,200000/day", RateLimits(burst=100, interval_ms=60_000, daily=200_000)),
        ("5/500ms,10/day", RateLimits(burst=5, interval_ms=500, daily=10)),
        ("1000/1m,1/day", RateLimits(burst=1000, interval_ms=60_000, daily=1)),
        ("1/24h,2147483647/day", RateLimits(burst=1, interval_ms=86_400_000, daily=2**31 - 1)),
        ("100/10S,200000/DAY", RateLimits(burst=100, interval_ms=10_000, daily=200_000)),
    ],
)
def test_accepted_forms(text, limits):
    assert parse_rate_limits(text) == limits


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("100/10s", "it needs both an interval limit and a daily limit"),
        ("200000/day", "it needs both an interval limit and a daily limit"),
        ("100/10s,200000/day,", "'' is not a limit"),
        ("100/10s,,200000/day", "'' is not a limit"),
        ("100/10s;200000/day", "'100/10s;200000/day' is not a limit"),
        ("100 /10s,200000/day", "'100 /10s' is not a limit"),
        ("100/10,200000/day", "'100/10' is not a limit"),
        ("100/s,200000/day", "'100/s' is not a limit"),
        ("100/10d,200000/day", "'100/10d' is not a limit"),
        ("100/10s,200000/days", "'200000/days' is not a limit"),
        ("100/10s,200000/1day", "'200000/1day' is not a limit"),
        ("-1/10s,200000/day", "'-1/10s' is not a limit"),
        ("+1/10s,200000/day", "'+1/10s' is not a limit"),
        ("1.5/10s,200000/day", "'1.5/10s' is not a limit"),
        ("100/10s,2e5/day", "'2e5/day' is not a limit"),
        ("0/10s,200000/day", "a limit must allow 1 to 2147483647 requests"),
        ("100/10s,0/day", "a limit must allow 1 to 2147483647 requests"),
        ("100/10s,2147483648/day", "a limit must allow 1 to 2147483647 requests"),
        ("100/10s,99999999999/day", "'99999999999/day' is not a limit"),
        ("1" * 5000 + "/10s,1/day", f"{'1' * 5000 + '/10s'!r} is not a limit"),
        ("100/0s,200000/day", "the interval must be from 1 ms to 24 h"),
        ("100/25h,200000/day", "the interval must be from 1 ms to 24 h"),
        ("100/10s,50/1m,200000/day", "it names two interval limits"),
        ("100/10s,1/day,2/day", "it names two daily limits"),
        ("true", "'true' is not a limit"),
        ("no", "'no' is not a limit"),
        ("100", "'100' is not a limit"),
        ("100/10s 200000/day", "'100/10s 200000/day' is not a limit"),
    ],
)
def test_refused_forms_say_why_in_one_line(text, reason):
    with pytest.raises(InvalidRateLimits) as refused:
        parse_rate_limits(text)

    assert str(refused.value) == f"{SETTING}={text!r} is not valid: {reason}; {USE}"


def test_settings_read_the_environment(monkeypatch):
    monkeypatch.delenv(SETTING, raising=False)
    monkeypatch.delenv("OPENCALENDARS_REDIS_URL", raising=False)
    assert Settings.from_env().rate_limits == DEFAULT_RATE_LIMITS
    assert Settings.from_env().redis_url is None
    assert Settings().rate_limits == DEFAULT_RATE_LIMITS  # on by default

    monkeypatch.setenv(SETTING, "off")
    monkeypatch.setenv("OPENCALENDARS_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert Settings.from_env().rate_limits is None
    assert Settings.from_env().redis_url == "redis://127.0.0.1:6379/0"

    monkeypatch.setenv(SETTING, "7/1s,70/day")
    assert Settings.from_env().rate_limits == RateLimits(burst=7, interval_ms=1000, daily=70)

    monkeypatch.setenv(SETTING, "7/1s")
    with pytest.raises(InvalidRateLimits):
        Settings.from_env()


def test_serve_refuses_to_start_with_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "opencalendars", "serve", "--port", "9",
         "--database-url", f"sqlite:///{tmp_path / 'refused.db'}"],
        env={**os.environ, SETTING: "100/10s"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"Error: {SETTING}='100/10s' is not valid: it needs both an interval limit and a daily"
        f" limit; {USE}\n"
    )
    assert not (tmp_path / "refused.db").exists()
