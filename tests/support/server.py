"""Real `opencalendars serve` processes on free loopback ports."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from support.api import ADMIN_KEY


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen
    log_path: Path


def wait_healthy(base_url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not become healthy:\n{log_path.read_text()}")


@contextmanager
def live_server(
    database_url: str,
    log_dir: Path,
    workers: int = 1,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """`env` adds OPENCALENDARS_* settings. Rate limits are off unless `env` turns them on:
    the suite's load and race tests must never be throttled."""
    port = free_port()
    log_path = log_dir / f"server-{port}.log"
    env = {
        **os.environ,
        "OPENCALENDARS_ADMIN_KEY": ADMIN_KEY,
        "OPENCALENDARS_RATE_LIMITS": "off",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "opencalendars",
        "serve",
        "--port",
        str(port),
        "--database-url",
        database_url,
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        *extra_args,
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base_url, process, log_path, timeout=60)
        yield LiveServer(base_url, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# Fast polling and back-off, so delivery tests take seconds (docs/events.md names them).
FAST_WORKER_ENV = {
    "OPENCALENDARS_WORKER_POLL_SECONDS": "0.05",
    "OPENCALENDARS_RETRY_BASE_SECONDS": "0.1",
    "OPENCALENDARS_DELIVERY_LEASE_SECONDS": "3",
    "OPENCALENDARS_DELIVERY_TIMEOUT_SECONDS": "2",
}


@contextmanager
def live_worker(database_url: str, log_dir: Path, **env: str) -> Iterator[subprocess.Popen]:
    """A real `opencalendars worker` process; `env` adds OPENCALENDARS_* settings."""
    log_path = log_dir / f"worker-{time.monotonic_ns()}.log"
    command = [sys.executable, "-m", "opencalendars", "worker", "--database-url", database_url]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **FAST_WORKER_ENV, **env},
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
