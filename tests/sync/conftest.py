"""Fixtures of the calendar-sync tests: the sync routes on the suite's app (until app.py
registers them), a real Radicale CalDAV server, a local HTTP server of ICS files, the key
passwords are encrypted with, and a tenant in New York with the clock before the test weeks."""

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from opencalendars.app import add_routes
from opencalendars.sync.router import admin_router, router
from support.api import create_tenant

ZONE = "America/New_York"
# A Monday 12:00 UTC; the test weeks are the next ones (2027-03-08 is a Monday, daylight
# saving time starts in New York on Sunday 2027-03-14).
NOW = "2027-03-01T12:00:00Z"
RADICALE_USERS = {"ann": "ann-secret", "bob": "bob-secret"}


@pytest.fixture(scope="session", autouse=True)
def sync_routes(app):
    """The feed and admin routes, added to the suite's app only while app.py does not."""
    paths = {getattr(route, "path", None) for route in app.router.routes}
    if "/admin/feeds" not in paths:
        add_routes(app, router, admin_router)
    return app


@pytest.fixture
def ny(client):
    return create_tenant(client, timezone=ZONE)


@pytest.fixture
def now(frozen_clock):
    frozen_clock(NOW)
    return NOW


@pytest.fixture
def secret_key(monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("OPENCALENDARS_SECRET_KEY", key)
    return key


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"radicale exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"radicale did not listen on port {port}")


@dataclass
class Radicale:
    url: str
    folder: Path
    process: subprocess.Popen
    port: int = 0

    def client(self, user: str = "ann"):
        import caldav

        return caldav.DAVClient(
            url=self.url,
            username=user,
            password=RADICALE_USERS[user],
        )

    def new_calendar(self, name: str, user: str = "ann"):
        """A new calendar collection of the user (a fresh one per test)."""
        return self.client(user).principal().make_calendar(name=name, cal_id=name)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def start(self) -> None:
        """Start it again (after `stop`), on the same port with the same folder."""
        self.process = _launch(self.folder, self.port)
        wait_for_port(self.port, self.process)


def _launch(folder: Path, port: int) -> subprocess.Popen:
    log = (folder / "radicale.log").open("a")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "radicale", "-C", str(folder / "config")],
            stdout=log,
            stderr=log,
        )
    finally:
        log.close()


def start_radicale(folder: Path) -> Radicale:
    """A real Radicale on 127.0.0.1 with its own folder and htpasswd users."""
    users = folder / "users"
    users.write_text("".join(f"{user}:{password}\n" for user, password in RADICALE_USERS.items()))
    port = free_port()
    (folder / "config").write_text(
        f"[server]\nhosts = 127.0.0.1:{port}\n"
        f"[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\nhtpasswd_encryption = plain\n"
        f"[storage]\nfilesystem_folder = {folder / 'collections'}\n"
        "[logging]\nlevel = warning\n"
    )
    process = _launch(folder, port)
    server = Radicale(f"http://127.0.0.1:{port}/", folder, process, port)
    try:
        wait_for_port(port, process)
    except BaseException:
        server.stop()
        raise
    return server


def need_radicale() -> None:
    """Skipped when radicale is not installed, except under CI=true, where that fails."""
    try:
        import caldav  # noqa: F401
        import radicale  # noqa: F401
    except ImportError as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing.name} is needed by the calendar-sync tests")
        pytest.skip(f"{missing.name} is not installed (pip install radicale caldav)")


@pytest.fixture(scope="session")
def radicale(tmp_path_factory):
    """A real Radicale for the whole session."""
    need_radicale()
    server = start_radicale(tmp_path_factory.mktemp("radicale"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_radicale(tmp_path_factory):
    """A Radicale of the test's own, which it may stop and start again."""
    need_radicale()
    server = start_radicale(tmp_path_factory.mktemp("own-radicale"))
    try:
        yield server
    finally:
        server.stop()


@dataclass
class IcsFile:
    body: str = ""
    etag: str = '"v1"'
    status: int = 200
    requests: list[dict] = field(default_factory=list)


class IcsServer:
    """A local HTTP server thread serving ICS files by path, with ETag and 304."""

    def __init__(self):
        self.files: dict[str, IcsFile] = {}
        files = self.files

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                served = files.get(self.path)
                if served is None:
                    self.send_error(404)
                    return
                served.requests.append(dict(self.headers))
                if served.status != 200:
                    self.send_error(served.status)
                    return
                if self.headers.get("If-None-Match") == served.etag:
                    self.send_response(304)
                    self.send_header("ETag", served.etag)
                    self.end_headers()
                    return
                body = served.body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", served.etag)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, body: str) -> tuple[str, IcsFile]:
        self.files[path] = served = IcsFile(body)
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}", served

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def ics_server():
    server = IcsServer()
    yield server
    server.close()
