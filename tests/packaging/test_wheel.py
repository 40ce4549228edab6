"""What a `pip install .` user gets: the wheel must carry the migrations, the contract extracts
and the booking widget's templates, static files and catalogs."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_migrations_and_the_console_script(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("opencalendars-*.whl")
    names = zipfile.ZipFile(wheel).namelist()

    assert "opencalendars/db/migrations/env.py" in names
    assert "opencalendars/db/migrations/versions/0001_foundation.py" in names
    assert "opencalendars/db/migrations/script.py.mako" in names
    assert "opencalendars/contract/oauth-v3.facts.json" in names
    widget = Path(__file__).resolve().parents[2] / "src" / "opencalendars" / "widget"
    for folder, pattern in (("templates", "*.html"), ("static", "*"), ("locale", "*/*/*.mo")):
        for shipped in (widget / folder).glob(pattern):
            assert f"opencalendars/{shipped.relative_to(widget.parent).as_posix()}" in names
    assert "opencalendars/widget/locale/es/LC_MESSAGES/messages.mo" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "opencalendars = opencalendars.cli:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )
