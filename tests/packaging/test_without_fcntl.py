"""Without `fcntl` (Windows has none): every module imports, the app builds and migrates its
SQLite database under the `filelock` lock, and the rate limits' shared counters file is locked
through `filelock` too, counting exactly across two apps on one database (http/rate_counters.py,
docs/operations.md "Rate limits")."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys

    sys.modules["fcntl"] = None  # `import fcntl` now fails, as on Windows

    import importlib
    import pkgutil
    from pathlib import Path

    try:
        import fcntl  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("fcntl is still importable")

    import opencalendars

    skipped = {
        "opencalendars.__main__",  # runs the command
        "opencalendars.db.migrations.env",  # an Alembic script: runs only inside Alembic
    }
    imported = 0
    for module in pkgutil.walk_packages(opencalendars.__path__, "opencalendars."):
        if module.name not in skipped:
            importlib.import_module(module.name)
            imported += 1

    from fastapi.testclient import TestClient

    from opencalendars.admin import service
    from opencalendars.app import create_app
    from opencalendars.http import rate_counters
    from opencalendars.settings import Settings

    assert rate_counters.HAVE_FCNTL is False
    database = Path(sys.argv[1]) / "oc.db"
    url = f"sqlite:///{database}"
    first, second = (create_app(Settings(database_url=url, admin_key="k")) for _ in range(2))
    db = first.state.db
    location = service.create_location(db, "Shop", "UTC", location_id=None)
    _token, secret = service.create_token(db, location.id, None, name="")
    headers = {"Authorization": f"Bearer {secret}", "Version": "2021-07-28"}
    remaining = []
    for app in (first, second, first):
        with TestClient(app) as client:
            answer = client.get(f"/calendars/groups?locationId={location.id}", headers=headers)
            assert answer.status_code == 200, answer.text
            remaining.append(answer.headers["x-ratelimit-remaining"])
    # One count for both apps, in the file beside the database.
    assert remaining == ["99", "98", "97"], remaining
    assert (Path(sys.argv[1]) / "oc.db.rate-limits").exists()
    print(f"imported {imported} modules")
    """
)


def test_every_module_imports_and_the_app_runs_without_fcntl(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    imported = int(done.stdout.split()[1])
    assert imported > 50, done.stdout
