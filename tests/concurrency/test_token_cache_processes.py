"""On PostgreSQL each process keeps the tokens it found (admin/tokens.py, db/notified_cache.py).
A revocation must still reach every process within a second: two real server processes on one
database, each with the token in memory, refuse it within a second of the admin API's answer.

A change that notifies nobody (triggers switched off for one session, as only a superuser can)
shows the cache is what answers; the same change while a process's listening connection is
gone shows that a process that cannot hear stops answering from memory."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from support.api import ADMIN_HEADERS, create_tenant
from support.databases import fresh_database, postgres_server_url
from support.server import live_server

pytestmark = pytest.mark.slow

WITHIN_S = 1.0
LISTENERS = "opencalendars opencalendars_tokens"  # the listening connections' application_name


@pytest.fixture
def two_processes(tmp_path):
    if postgres_server_url() is None:
        pytest.skip("the token cache is PostgreSQL's (SQLite reads the token every request)")
    with (
        fresh_database(tmp_path) as url,
        live_server(url, tmp_path) as first,
        live_server(url, tmp_path) as second,
    ):
        yield make_url(url).set(drivername="postgresql").render_as_string(False), first, second


def quietly(dsn: str, statement: str, parameters: tuple = ()) -> None:
    """A change with the tables' triggers off: no process is told."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SET session_replication_role = replica")
        connection.execute(statement, parameters)


def statuses(clients: list[httpx.Client], path: str, each: int = 5) -> list[int]:
    return [client.get(path).status_code for client in clients for _ in range(each)]


def seconds_until_refused(clients: list[httpx.Client], path: str, limit_s: float) -> float:
    """How long until every process refuses the token (limit_s + 1 if they never do)."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s + 1:
        if all(status == 401 for status in statuses(clients, path, each=1)):
            return time.monotonic() - started
        time.sleep(0.02)
    return limit_s + 1


def token_clients(tenant, servers) -> list[httpx.Client]:
    return [
        httpx.Client(base_url=server.base_url, headers=tenant.headers(), timeout=30)
        for server in servers
    ]


@contextmanager
def a_token_both_keep(first, second) -> Iterator[tuple]:
    """A new location's token, used 10 times on each process (so each keeps it): the admin
    client, the tenant, one client per process and the path they call."""
    with httpx.Client(base_url=first.base_url, timeout=30) as admin:
        tenant = create_tenant(admin)
        clients = token_clients(tenant, (first, second))
        path = f"/calendars/groups?locationId={tenant.location_id}"
        try:
            assert statuses(clients, path, each=10) == [200] * 20
            yield admin, tenant, clients, path
        finally:
            for client in clients:
                client.close()


def test_a_revocation_reaches_every_process_within_a_second(two_processes):
    dsn, first, second = two_processes
    with a_token_both_keep(first, second) as (admin, tenant, clients, path):
        # Both processes answer from memory: a revocation nobody hears changes nothing.
        quietly(dsn, "UPDATE api_tokens SET revoked_ms = 1 WHERE id = %s", (tenant.token_id,))
        assert statuses(clients, path) == [200] * 10
        quietly(dsn, "UPDATE api_tokens SET revoked_ms = NULL WHERE id = %s", (tenant.token_id,))

        revoked = admin.delete(f"/admin/tokens/{tenant.token_id}", headers=ADMIN_HEADERS)
        assert revoked.status_code == 200, revoked.text
        assert seconds_until_refused(clients, path, WITHIN_S) < WITHIN_S
        assert statuses(clients, path, each=10) == [401] * 20


def test_a_process_that_cannot_hear_stops_answering_from_memory(two_processes):
    dsn, first, second = two_processes
    with a_token_both_keep(first, second) as (_admin, tenant, clients, path):
        with psycopg.connect(dsn, autocommit=True) as connection:
            cut = connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND application_name = %s",
                (LISTENERS,),
            ).fetchall()
        assert len(cut) == 2  # one listening connection per process

        # Revoked while nobody listens, and unheard: each process reads the database again.
        quietly(dsn, "UPDATE api_tokens SET revoked_ms = 1 WHERE id = %s", (tenant.token_id,))
        assert seconds_until_refused(clients, path, WITHIN_S) < WITHIN_S

        # Both listen again a moment later, and keep what they find again.
        time.sleep(2.5)
        with a_token_both_keep(first, second) as (_admin, fresh, fresh_clients, fresh_path):
            quietly(dsn, "UPDATE api_tokens SET revoked_ms = 1 WHERE id = %s", (fresh.token_id,))
            assert statuses(fresh_clients, fresh_path) == [200] * 10
