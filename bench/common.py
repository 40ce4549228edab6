"""Shared pieces of the benchmarks: a seeded database, a live server, latency statistics."""

import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ADMIN_KEY = "bench-admin-key"
# For a server whose free slots must read on every request (db/read_cache.py would answer a
# request asked again with nothing committed from the rows it read the first time).
READ_EVERY_TIME = {"OPENCALENDARS_READ_CACHE": "off"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(
    database_url: str, log_path: Path, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`env` adds OPENCALENDARS_* settings. Rate limits are off unless `env` sets them: a
    benchmark measures the server, and 100 requests per 10 seconds would refuse nearly all."""
    port = free_port()
    env = {
        **os.environ,
        "OPENCALENDARS_ADMIN_KEY": ADMIN_KEY,
        "OPENCALENDARS_RATE_LIMITS": "off",
        **(env or {}),
    }
    command = [
        sys.executable, "-m", "opencalendars", "serve", "--port", str(port),
        "--database-url", database_url, "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(log_path.read_text())
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def latencies(
    client: httpx.Client, path: str, params: dict, warmup: int, count: int
) -> list[float]:
    """Milliseconds per request, after `warmup` unmeasured requests."""
    for _ in range(warmup):
        client.get(path, params=params).raise_for_status()
    measured = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, params=params)
        measured.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return measured


def interleaved(
    targets: list[tuple[httpx.Client, str, dict]], warmup: int, count: int
) -> list[list[float]]:
    """Milliseconds per request for each target, taking turns request by request, so that
    every target sees the same machine: noise from a busy neighbour hits them all alike."""
    for _ in range(warmup):
        for client, path, params in targets:
            client.get(path, params=params).raise_for_status()
    measured: list[list[float]] = [[] for _ in targets]
    for _ in range(count):
        for timings, (client, path, params) in zip(measured, targets, strict=True):
            started = time.perf_counter()
            response = client.get(path, params=params)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return measured


def p50(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def wait_for_quiet(below: float, timeout_s: float, every_s: float = 30) -> float:
    """Wait until the 1-minute load average is below `below` (this machine is shared), at most
    `timeout_s`; give the load average measured last, quiet or not."""
    deadline = time.monotonic() + timeout_s
    while True:
        load = os.getloadavg()[0]
        if load < below or time.monotonic() >= deadline:
            return load
        print(f"load average {load:.2f} >= {below}: waiting {every_s:.0f} s", flush=True)
        time.sleep(every_s)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
