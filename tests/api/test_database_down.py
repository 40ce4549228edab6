"""While the database does not answer, requests answer 503 with `Retry-After` in the error
envelope (not 500), and they succeed again by themselves once it is back (issue 19, defect 9).

PostgreSQL is made to go away for real: a live server reaches it through a TCP proxy that the
test stops (dropping every connection, refusing new ones) and starts again. SQLite goes away
when its file cannot be opened."""

import contextlib
import selectors
import socket
import threading

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from opencalendars.app import create_app
from opencalendars.settings import Settings
from support.api import ADMIN_HEADERS, ADMIN_KEY, create_tenant
from support.databases import PG_ENV, fresh_database, postgres_server_url
from support.server import free_port, live_server

pytestmark = pytest.mark.slow

UNAVAILABLE = {
    "statusCode": 503,
    "message": "The database is not available, try again later",
    "error": "Service Unavailable",
}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == UNAVAILABLE
    assert response.headers["retry-after"] == "5"


def list_groups(tenant) -> httpx.Response:
    return tenant.get("/calendars/groups", params={"locationId": tenant.location_id})


def create_location(client) -> httpx.Response:
    return client.post("/admin/locations", json={"name": "Later"}, headers=ADMIN_HEADERS)


class TcpProxy:
    """Forwards a loopback port to the database server. `stop` closes the port and every
    connection through it, as a database host that went away; `start` opens it again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._stopping = threading.Event()
        self._acceptor: threading.Thread | None = None
        self._pumps: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        self._stopping.clear()
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR on POSIX
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def stop(self) -> None:
        if self._acceptor is None:
            return
        self._stopping.set()
        self._acceptor.join()  # no connection is accepted after this
        self._acceptor = None
        for sock in self._sockets:
            close_quietly(sock)
        for thread in self._pumps:
            thread.join(timeout=5)
        self._sockets, self._pumps = [], []

    def _accept(self, listener: socket.socket) -> None:
        with listener, selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not selector.select(timeout=0.05):
                    continue
                client, _ = listener.accept()
                upstream = socket.create_connection(self.target)
                self._sockets += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    thread = threading.Thread(target=pump, args=(source, sink), daemon=True)
                    self._pumps.append(thread)
                    thread.start()


def pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    close_quietly(source)
    close_quietly(sink)


def close_quietly(sock: socket.socket) -> None:
    """`shutdown` first: it wakes a thread blocked in `recv` on the socket, `close` does not."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


@pytest.fixture
def postgres_server() -> str:
    url = postgres_server_url()
    if url is None:
        pytest.skip(f"needs a PostgreSQL server in {PG_ENV} (the SQLite test covers SQLite)")
    return url


def test_postgresql_going_away_answers_503_until_it_is_back(tmp_path, postgres_server):
    server = make_url(postgres_server)
    proxy = TcpProxy((server.host or "127.0.0.1", server.port or 5432))
    proxy.start()
    try:
        with fresh_database(tmp_path) as url:
            through_proxy = make_url(url).set(host="127.0.0.1", port=proxy.port)
            with (
                live_server(through_proxy.render_as_string(False), tmp_path) as live,
                httpx.Client(base_url=live.base_url, timeout=30) as client,
            ):
                tenant = create_tenant(client)
                assert list_groups(tenant).status_code == 200

                proxy.stop()
                # The token check reads on the driver's cursor; the admin API goes through
                # SQLAlchemy: both kinds of failure are a 503, for every request meanwhile.
                for _ in range(3):
                    assert_unavailable(list_groups(tenant))
                assert_unavailable(create_location(client))
                # Not ready, yet alive: the process itself is fine (tests/api/test_health.py).
                assert client.get("/readyz").status_code == 503
                assert client.get("/healthz").status_code == 200

                proxy.start()
                assert list_groups(tenant).status_code == 200
                assert create_location(client).status_code == 201
    finally:
        proxy.stop()


def test_sqlite_file_out_of_reach_answers_503_until_it_is_back(tmp_path):
    home = tmp_path / "data"
    app = create_app(Settings(database_url=f"sqlite:///{home / 'oc.db'}", admin_key=ADMIN_KEY))
    with TestClient(app) as client:
        tenant = create_tenant(client)
        assert list_groups(tenant).status_code == 200

        # Open connections keep the file they opened; new ones (as after a restart) fail.
        app.state.db.dispose()
        home.rename(tmp_path / "moved")
        try:
            assert_unavailable(list_groups(tenant))
            assert_unavailable(create_location(client))
        finally:
            (tmp_path / "moved").rename(home)

        assert list_groups(tenant).status_code == 200
        assert create_location(client).status_code == 201
    app.state.db.dispose()
