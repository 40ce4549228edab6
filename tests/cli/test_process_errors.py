"""Errors at the edge of the process: the real `opencalendars` command refuses a malformed
setting, a database it cannot use or migrate, and an address `serve` cannot listen on with one
line on stderr and exit status 2, no traceback (`--debug` adds it); `db upgrade` says what it
did."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opencalendars import db as db_package

VERSIONS = Path(db_package.__file__).parent / "migrations" / "versions"
# Every revision, oldest first, by its file name (0001_foundation, ...).
REVISIONS = sorted(path.stem for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`opencalendars ARGS` in `tmp_path` (so no `.env` of the project's is read), with the
    machine's OPENCALENDARS_* settings left out and `env` added."""
    base = {
        name: value for name, value in os.environ.items() if not name.startswith("OPENCALENDARS_")
    }
    return subprocess.run(
        [sys.executable, "-m", "opencalendars", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def refused_in_one_line(done: subprocess.CompletedProcess) -> str:
    """The one line on stderr of a command refused at the edge (status 2, no traceback)."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


THREADS = ("OPENCALENDARS_REQUEST_THREADS", "abc", "a whole number from 1 to 64")
WITH_WORKER = ("OPENCALENDARS_WITH_WORKER", "maybe", "one of 1, 0, true, false, yes, no, on, off")
ATTEMPTS = ("OPENCALENDARS_MAX_ATTEMPTS", "-1", "a whole number from 1 to 1000")


@pytest.mark.parametrize(
    ("command", "setting"),
    [
        (("db", "upgrade"), THREADS),
        (("config",), WITH_WORKER),
        (("serve",), ATTEMPTS),
        (("worker",), THREADS),
        (("demo",), WITH_WORKER),
    ],
)
def test_a_malformed_setting_stops_every_command_in_one_line(tmp_path, command, setting):
    name, value, accepts = setting
    database = tmp_path / "oc.db"

    done = run(
        tmp_path, *command, **{name: value, "OPENCALENDARS_DATABASE_URL": f"sqlite:///{database}"}
    )

    assert refused_in_one_line(done) == f"Error: {name}={value!r} is not valid: {accepts}"
    assert not database.exists()  # nothing started


def test_a_malformed_setting_in_dotenv_is_refused_alike(tmp_path):
    (tmp_path / ".env").write_text("OPENCALENDARS_REQUEST_THREADS=abc\n")

    done = run(tmp_path, "db", "upgrade", "--database-url", f"sqlite:///{tmp_path / 'oc.db'}")

    assert refused_in_one_line(done) == (
        "Error: OPENCALENDARS_REQUEST_THREADS='abc' is not valid: a whole number from 1 to 64"
    )


@pytest.mark.parametrize(
    "command", [("db", "upgrade"), ("serve",), ("demo",), ("worker", "--once")]
)
def test_an_unreachable_postgresql_is_one_line_within_seconds(tmp_path, command):
    started = time.monotonic()
    done = run(tmp_path, *command, "--database-url", "postgresql://postgres:pw@127.0.0.1:1/x")
    took = time.monotonic() - started

    line = refused_in_one_line(done)
    assert line.startswith(
        "Error: cannot connect to the database postgresql://postgres:***@127.0.0.1:1/x: "
    )
    assert "port 1 failed: Connection refused" in line
    assert "pw@" not in line
    assert took < 15, took


def test_a_postgresql_that_never_answers_fails_within_the_connect_timeout(tmp_path):
    """A server that accepts connections and then says nothing: libpq alone would wait as long
    as TCP does; the connect timeout (5 s) ends it."""
    silent = socket.create_server(("127.0.0.1", 0), backlog=8)
    port = silent.getsockname()[1]
    try:
        started = time.monotonic()
        done = run(
            tmp_path, "db", "upgrade", "--database-url", f"postgresql://x@127.0.0.1:{port}/x"
        )
        took = time.monotonic() - started
    finally:
        silent.close()

    assert refused_in_one_line(done).startswith(
        f"Error: cannot connect to the database postgresql://x@127.0.0.1:{port}/x: "
    )
    assert took < 20, took


@pytest.mark.parametrize("url", ["mysql://root:pw@db/oc", "foo", "postgresql+asyncpg://db/oc"])
def test_a_database_url_of_another_kind_is_one_line(tmp_path, url):
    shown = url.replace(":pw@", ":***@")

    done = run(tmp_path, "db", "upgrade", "--database-url", url)

    assert refused_in_one_line(done) == (
        f"Error: the database URL {shown!r} is not supported: use sqlite:///PATH or"
        " postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    )


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file::memory:?uri=true",
        "sqlite:///file:oc?mode=memory&uri=true",
    ],
)
@pytest.mark.parametrize(
    ("command", "refused"),
    [
        (("db", "upgrade"), "the database URL {url!r} is not supported"),
        (("serve", "--port", "1"), "OPENCALENDARS_DATABASE_URL={url!r} is not valid"),
    ],
)
def test_an_sqlite_database_in_memory_is_refused_in_one_line(tmp_path, url, command, refused):
    """Each pooled connection would open a database of its own, empty: the schema migrated on
    one, the requests answered from others (it crashed at start before it was refused)."""
    done = run(tmp_path, *command, "--database-url", url)

    assert refused_in_one_line(done) == (
        f"Error: {refused.format(url=url)}: an in-memory SQLite database, which every connection"
        " of a server would see as a database of its own, empty: use sqlite:///PATH (a file in a"
        " temporary directory for a throwaway one)"
    )


def test_an_sqlite_file_whose_directory_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "plain-file").write_text("")
    url = f"sqlite:///{tmp_path / 'plain-file' / 'oc.db'}"

    done = run(tmp_path, "db", "upgrade", "--database-url", url)

    assert refused_in_one_line(done) == (
        f"Error: cannot open the database {url}: {tmp_path / 'plain-file'} is not a directory"
    )


def test_a_file_that_is_no_database_is_one_line(tmp_path):
    (tmp_path / "notes.db").write_bytes(b"these are my notes, not a database" * 100)

    done = run(tmp_path, "db", "upgrade", "--database-url", f"sqlite:///{tmp_path / 'notes.db'}")

    assert "file is not a database" in refused_in_one_line(done)


def test_a_migration_that_fails_is_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'oc.db'}"
    assert run(tmp_path, "db", "upgrade", "--database-url", url).returncode == 0
    with sqlite3.connect(tmp_path / "oc.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")

    done = run(tmp_path, "db", "upgrade", "--database-url", url)

    line = refused_in_one_line(done)
    assert line.startswith(f"Error: cannot migrate the database {url}: ")
    assert "9999" in line


def test_db_upgrade_lists_the_revisions_it_applied_then_says_up_to_date(tmp_path):
    (tmp_path / "oc.db").write_bytes(b"")  # an empty file: SQLite's empty database
    url = f"sqlite:///{tmp_path / 'oc.db'}"

    first = run(tmp_path, "db", "upgrade", "--database-url", url)
    second = run(tmp_path, "db", "upgrade", "--database-url", url)

    assert REVISIONS[0] == "0001_foundation" and len(REVISIONS) >= 10
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == f"applied {', '.join(REVISIONS)}\n"
    assert (second.returncode, second.stderr) == (0, "")
    assert second.stdout == f"database is up to date (revision {REVISIONS[-1]})\n"


def test_db_upgrade_applies_only_what_is_missing(tmp_path):
    url = f"sqlite:///{tmp_path / 'oc.db'}"
    assert run(tmp_path, "db", "upgrade", "--database-url", url).returncode == 0
    previous = REVISIONS[-2].split("_", 1)[0]
    # One revision back, with Alembic.
    downgrade = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from alembic import command\n"
            "from opencalendars.db import migrate\n"
            "from opencalendars.db.database import Database\n"
            "db = Database(sys.argv[1])\n"
            "with db.engine.connect() as connection:\n"
            "    command.downgrade(migrate.alembic_config(connection), sys.argv[2])\n"
            "    connection.commit()\n",
            url,
            previous,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert downgrade.returncode == 0, downgrade.stderr

    done = run(tmp_path, "db", "upgrade", "--database-url", url)

    assert (done.returncode, done.stdout) == (0, f"applied {REVISIONS[-1]}\n")


def listening_socket() -> tuple[socket.socket, int]:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    return taken, taken.getsockname()[1]


def test_serve_on_a_port_in_use_is_one_line_before_anything_starts(tmp_path):
    taken, port = listening_socket()
    database = tmp_path / "oc.db"
    try:
        done = run(
            tmp_path, "serve", "--port", str(port), "--database-url", f"sqlite:///{database}"
        )
    finally:
        taken.close()

    assert refused_in_one_line(done) == (
        f"Error: cannot listen on 127.0.0.1:{port}: the port is already in use"
    )
    assert not database.exists()  # refused before the migration


@pytest.mark.parametrize(
    ("host", "port", "reason"),
    [
        ("203.0.113.7", "8000", "Cannot assign requested address"),
        ("127.0.0.1", "70000", "a port is a number from 0 to 65535"),
    ],
)
def test_serve_on_an_address_it_cannot_have_is_one_line(tmp_path, host, port, reason):
    done = run(
        tmp_path, "serve", "--host", host, "--port", port,
        "--database-url", f"sqlite:///{tmp_path / 'oc.db'}",
    )  # fmt: skip

    assert refused_in_one_line(done) == f"Error: cannot listen on {host}:{port}: {reason}"


def test_debug_shows_the_traceback_too(tmp_path):
    taken, port = listening_socket()
    try:
        done = run(
            tmp_path, "--debug", "serve", "--port", str(port),
            "--database-url", f"sqlite:///{tmp_path / 'oc.db'}",
        )  # fmt: skip
    finally:
        taken.close()
    unreachable = run(
        tmp_path, "--debug", "db", "upgrade", "--database-url", "postgresql://x@127.0.0.1:1/x"
    )

    for failed in (done, unreachable):
        assert failed.returncode == 2
        assert failed.stderr.startswith("Traceback (most recent call last):")
        assert failed.stderr.splitlines()[-1].startswith("Error: ")
    assert "Address already in use" in done.stderr  # the OSError underneath
    assert "psycopg.OperationalError" in unreachable.stderr


def test_config_prints_the_settings_in_effect_masked(tmp_path):
    (tmp_path / ".env").write_text(
        "OPENCALENDARS_ADMIN_KEY=admin-secret\nOPENCALENDARS_REQUEST_THREADS=8\n"
    )

    done = run(
        tmp_path,
        "config",
        OPENCALENDARS_REQUEST_THREADS="16",
        OPENCALENDARS_DATABASE_URL="postgresql://oc:db-pw@db:5432/oc",
    )

    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert "OPENCALENDARS_DATABASE_URL=postgresql://oc:***@db:5432/oc" in lines
    assert "OPENCALENDARS_ADMIN_KEY=********" in lines
    assert "OPENCALENDARS_REQUEST_THREADS=16" in lines  # the environment wins over .env
    assert "admin-secret" not in done.stdout and "db-pw" not in done.stdout
