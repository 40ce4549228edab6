"""A PostgreSQL transaction rolled back without a failed statement (a booking refused, a 404
found after a read) keeps its connection's prepared statements; one whose statement failed is
rolled back by the driver as before (db/rollback.py)."""

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from opencalendars.db.database import Database
from support.databases import PG_ENV, notes_database, postgres_server_url


class Refused(Exception):
    """What a service raises after its reads, with nothing failed in the database."""


@pytest.fixture
def db(tmp_path):
    if postgres_server_url() is None:
        pytest.skip(f"needs a PostgreSQL server in {PG_ENV} (SQLite prepares nothing)")
    with notes_database(tmp_path) as db:
        yield db


def admin_dsn(db: Database) -> str:
    return make_url(db.url).set(drivername="postgresql").render_as_string(False)


def backend_pid(session) -> int:
    return session.execute(text("SELECT pg_backend_pid()")).scalar_one()


def prepared_statements(session) -> list[str]:
    return session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()


def test_a_refusal_rolls_back_and_the_connection_keeps_its_statements(db):
    with pytest.raises(Refused), db.write() as session:
        session.execute(text("INSERT INTO notes VALUES ('refused')"))
        pid = backend_pid(session)
        raise Refused

    with db.write() as session:
        assert backend_pid(session) == pid  # the pool's one connection, used again
        assert session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0
        statements = prepared_statements(session)
    assert any(statement.startswith("INSERT INTO notes") for statement in statements)


def test_a_failed_statement_is_rolled_back_by_the_driver(db):
    with pytest.raises(DBAPIError), db.write() as session:
        session.execute(text("INSERT INTO notes VALUES ('failed')"))
        session.execute(text("SELECT 1 / 0"))

    with db.write() as session:
        assert session.execute(text("SELECT count(*) FROM notes")).scalar_one() == 0
        session.execute(text("INSERT INTO notes VALUES ('written')"))
    with db.read() as session:
        assert session.execute(text("SELECT body FROM notes")).scalars().all() == ["written"]


def test_a_connection_the_server_ended_mid_transaction_is_replaced(db):
    # The rollback finds the connection gone: a database error (a 503 for a request), as
    # without db/rollback.py, and the pool gives the next transaction a new connection.
    with pytest.raises(OperationalError), db.write() as session:
        session.execute(text("INSERT INTO notes VALUES ('lost')"))
        with psycopg.connect(admin_dsn(db)) as observer:
            observer.execute("SELECT pg_terminate_backend(%s)", (backend_pid(session),))
        raise Refused

    with db.write() as session:
        session.execute(text("INSERT INTO notes VALUES ('written')"))
    with db.read() as session:
        assert session.execute(text("SELECT body FROM notes")).scalars().all() == ["written"]
