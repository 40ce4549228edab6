"""Pooled PostgreSQL connections that the database dropped are replaced before a request gets
them, and a connection in steady use is not pinged on every checkout (db/liveness.py)."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from opencalendars.db.liveness import PING_AFTER_IDLE_S, alive_here, check_on_checkout
from support.api import ADMIN_HEADERS, create_tenant
from support.databases import fresh_database, postgres_dsn_or_skip
from support.server import live_server

pytestmark = pytest.mark.slow


@pytest.fixture
def postgres_dsn() -> str:
    return postgres_dsn_or_skip("SQLite's connections are files")


def last_query(observer: psycopg.Connection, connection: psycopg.Connection) -> str:
    """What the server last ran for `connection`, as its statistics show it."""
    (query,) = observer.execute(
        "SELECT query FROM pg_stat_activity WHERE pid = %s", (connection.info.backend_pid,)
    ).fetchone()
    return query


def test_a_connection_in_use_is_not_pinged_and_one_long_idle_is(postgres_dsn):
    with (
        psycopg.connect(postgres_dsn, autocommit=True) as connection,
        psycopg.connect(postgres_dsn, autocommit=True) as observer,
    ):
        connection.execute("SELECT 'the last request'")
        now = time.monotonic()
        check_on_checkout(connection, None, now)  # never checked in: just opened
        check_on_checkout(connection, now - 1, now)
        check_on_checkout(connection, now - PING_AFTER_IDLE_S + 1, now)
        # No round trip: the server's last statement is still the request's own.
        assert last_query(observer, connection) == "SELECT 'the last request'"

        check_on_checkout(connection, now - PING_AFTER_IDLE_S - 1, now)
        assert last_query(observer, connection) == "SELECT 1"


def test_a_connection_the_server_ended_is_refused_without_a_round_trip(postgres_dsn):
    with (
        psycopg.connect(postgres_dsn, autocommit=True) as connection,
        psycopg.connect(postgres_dsn, autocommit=True) as observer,
    ):
        observer.execute("SELECT pg_terminate_backend(%s)", (connection.info.backend_pid,))
        deadline = time.monotonic() + 10
        while alive_here(connection) and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(DisconnectionError):
            # Recently used, so no ping: the socket alone tells.
            check_on_checkout(connection, time.monotonic(), time.monotonic())


def create_location(client: httpx.Client) -> int:
    return client.post("/admin/locations", json={"name": "Pool"}, headers=ADMIN_HEADERS).status_code


def test_connections_the_database_dropped_are_replaced_before_a_request_gets_them(
    tmp_path, postgres_dsn
):
    with (
        fresh_database(tmp_path) as url,
        live_server(url, tmp_path) as live,
        httpx.Client(base_url=live.base_url, timeout=30) as client,
    ):
        tenant = create_tenant(client)
        # Writes at once, so the pool holds several connections.
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(lambda _: create_location(client), range(24))) == {201}

        database = make_url(url).database
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            # Found first, ended after: in one statement the planner may end backends before
            # it filters them.
            found = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
            )
            ended = [pid for (pid,) in found]
            assert len(ended) >= 3  # pooled ones among them, as a database restart leaves them
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (ended,)
            )
            deadline = time.monotonic() + 10
            while (
                time.monotonic() < deadline
                and admin.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (ended,)
                ).fetchone()
            ):
                time.sleep(0.01)

        # Every pooled connection is stale now; each write checks one out.
        for _ in range(12):
            assert create_location(client) == 201
            response = tenant.get("/calendars/groups", params={"locationId": tenant.location_id})
            assert response.status_code == 200, response.text
