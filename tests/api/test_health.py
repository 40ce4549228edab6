"""Health checks (issue 20): `/healthz` is liveness and touches nothing but the process;
`/readyz` is readiness: the database answers and its schema is at the newest revision, else 503
with the reason, within a short deadline."""

import socket
import threading
import time

import httpx
import psycopg
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.test_database_down import TcpProxy
from opencalendars import health
from opencalendars.app import create_app
from opencalendars.db import migrate
from opencalendars.db.database import Database
from opencalendars.settings import Settings
from support.databases import PG_ENV, fresh_database, postgres_server_url

OK = {"status": "ok"}
# What .ci/run starts when no PostgreSQL is named: tested whenever it answers.
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def assert_not_ready(response: httpx.Response, *words: str) -> str:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body.keys() == {"status", "reason"}
    assert body["status"] == "unavailable"
    for word in words:
        assert word in body["reason"], body["reason"]
    return body["reason"]


@pytest.fixture
def sqlite_app(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'oc.db'}", rate_limits=None))
    yield app
    app.state.db.dispose()


def test_a_healthy_app_is_alive_and_ready(client):
    for path in ("/healthz", "/readyz"):
        got = client.get(path)
        assert (got.status_code, got.json()) == (200, OK)
        head = client.head(path)
        assert head.status_code == 200
        assert head.content == b""


@pytest.mark.slow
def test_a_real_server_answers_head_without_a_body(server):
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        for path in ("/healthz", "/readyz"):
            head = client.head(path)
            assert head.status_code == 200, path
            assert head.headers["content-type"] == "application/json"
            assert head.content == b""
            assert client.get(path).status_code == 200


def test_liveness_does_not_touch_the_database_readiness_does(sqlite_app):
    sqlite_app.state.db.dispose()
    # Nothing listens on port 1: the database is unreachable from here on.
    sqlite_app.state.db = Database("postgresql://nobody@127.0.0.1:1/none")
    with TestClient(sqlite_app) as client:
        alive = client.get("/healthz")
        not_ready = client.get("/readyz")
        head = client.head("/readyz")

    assert (alive.status_code, alive.json()) == (200, OK)
    assert_not_ready(not_ready, "does not answer")
    assert head.status_code == 503


def test_a_schema_behind_the_newest_revision_is_not_ready(sqlite_app):
    db = sqlite_app.state.db
    _, heads = health.known_revisions()
    (head,) = heads
    with TestClient(sqlite_app) as client:
        assert client.get("/readyz").status_code == 200

        with db.engine.connect() as connection:
            command.downgrade(migrate.alembic_config(connection), "-1")
            connection.commit()
            (behind,) = connection.execute(text("SELECT version_num FROM alembic_version")).one()
        assert behind != head
        assert_not_ready(client.get("/readyz"), f"at revision {behind}, not {head}", "upgrade")
        assert client.head("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200

        migrate.upgrade(db)
        assert client.get("/readyz").json() == OK


def test_a_database_without_a_schema_is_not_ready(sqlite_app):
    with TestClient(sqlite_app) as client, sqlite_app.state.db.engine.connect() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        connection.commit()

        assert_not_ready(client.get("/readyz"), "no schema")


def test_a_schema_a_newer_release_migrated_is_ready(sqlite_app):
    """Migrations only add (docs/operations.md): this release serves a newer schema, so that
    a rolling deploy does not take the old processes out of rotation."""
    with TestClient(sqlite_app) as client, sqlite_app.state.db.engine.connect() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'from-a-newer-release'"))
        connection.commit()

        assert client.get("/readyz").json() == OK


def test_a_deleted_database_file_is_not_ready_and_is_not_created_again(tmp_path, sqlite_app):
    with TestClient(sqlite_app) as client:
        assert client.get("/readyz").status_code == 200
        sqlite_app.state.db.dispose()
        (tmp_path / "oc.db").rename(tmp_path / "moved.db")

        assert_not_ready(client.get("/readyz"), "does not answer")
        assert not (tmp_path / "oc.db").exists()


def test_a_database_that_never_answers_is_not_ready_within_the_deadline(sqlite_app):
    """A server that accepts connections and then says nothing: the answer still comes in
    time. (The listener closes after 20 s, so a check without a deadline fails, not hangs.)"""
    silent = socket.create_server(("127.0.0.1", 0), backlog=8)
    port = silent.getsockname()[1]
    threading.Timer(20, silent.close).start()
    sqlite_app.state.db.dispose()
    sqlite_app.state.db = Database(f"postgresql://nobody@127.0.0.1:{port}/none")
    try:
        with TestClient(sqlite_app) as client:
            started = time.monotonic()
            response = client.get("/readyz")
            took = time.monotonic() - started
    finally:
        silent.close()

    assert_not_ready(response)
    assert took < health.READY_DEADLINE_SECONDS + 0.5, took


@pytest.fixture
def postgres_server(monkeypatch) -> str:
    """The PostgreSQL server of OPENCALENDARS_TEST_DATABASE_URL, or the local one if it answers."""
    url = postgres_server_url()
    if url is None:
        try:
            psycopg.connect(LOCAL_POSTGRES, connect_timeout=2).close()
        except psycopg.Error:
            pytest.skip(f"needs PostgreSQL: set {PG_ENV} or run one at 127.0.0.1:5432")
        url = LOCAL_POSTGRES
        monkeypatch.setenv(PG_ENV, url)  # fresh_database creates its database there
    return url


@pytest.mark.slow
def test_readiness_follows_postgresql_going_away_and_coming_back(tmp_path, postgres_server):
    server = make_url(postgres_server)
    proxy = TcpProxy((server.host or "127.0.0.1", server.port or 5432))
    proxy.start()
    try:
        with fresh_database(tmp_path) as url:
            through_proxy = make_url(url).set(host="127.0.0.1", port=proxy.port)
            app = create_app(Settings(database_url=through_proxy.render_as_string(False)))
            try:
                with TestClient(app) as client:
                    assert client.get("/readyz").json() == OK

                    proxy.stop()
                    assert_not_ready(client.get("/readyz"), "does not answer")
                    assert client.head("/readyz").status_code == 503
                    assert client.get("/healthz").json() == OK

                    proxy.start()
                    assert client.get("/readyz").json() == OK
            finally:
                app.state.db.dispose()
    finally:
        proxy.stop()
