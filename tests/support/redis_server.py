"""The Redis the rate-limit tests count in: `OPENCALENDARS_TEST_REDIS_URL`, by default the one
this machine runs. Missing, it skips those tests, except under `CI=true`, where it fails them: CI
must not pass by skipping."""

import os

import pytest
import redis

REDIS_URL = os.environ.get("OPENCALENDARS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_or_skip() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        reason = f"Redis is not answering at {REDIS_URL}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return client
