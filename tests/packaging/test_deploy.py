"""The systemd units in deploy/ (docs/deploy.md): they run a real command with options it
accepts, and systemd itself finds nothing wrong in them.

The Dockerfile is not built here: building needs the python:3.11-slim base image from a
registry (docs/deploy.md says where it was and was not built)."""

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Where docs/deploy.md installs the server.
INSTALLED = "/opt/opencalendars/venv/bin/opencalendars"
UNITS = {"opencalendars.service": "serve", "opencalendars-worker.service": "worker"}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((ROOT / "deploy" / name).read_text())
    return parser


@pytest.mark.parametrize(("name", "subcommand"), UNITS.items())
def test_a_unit_runs_the_installed_command_with_options_it_accepts(name, subcommand):
    service = unit(name)["Service"]
    command, *arguments = shlex.split(service["ExecStart"])

    assert command == INSTALLED
    assert arguments[0] == subcommand
    # Click refuses an unknown option (exit status 2) before it answers --help.
    checked = subprocess.run(
        [sys.executable, "-m", "opencalendars", *arguments, "--help"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert service["User"] != "root"
    assert service["Restart"] == "always"
    assert service["WorkingDirectory"] == f"/var/lib/{service['StateDirectory']}"


def test_both_units_share_the_user_settings_and_state():
    services = [unit(name)["Service"] for name in UNITS]
    for key in ("User", "Group", "EnvironmentFile", "StateDirectory", "WorkingDirectory"):
        assert len({service[key] for service in services}) == 1, key


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_analyze_verify_finds_nothing(tmp_path):
    """`systemd-analyze verify` warns of unknown keys and bad values (and fails on a command
    that is missing): the units are verified with the command of this environment in place of
    the installed path."""
    here = Path(sys.executable).with_name("opencalendars")
    assert here.exists(), here
    for name in UNITS:
        text = (ROOT / "deploy" / name).read_text()
        assert INSTALLED in text
        (tmp_path / name).write_text(text.replace(INSTALLED, str(here)))

    verified = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
    )

    assert verified.returncode == 0, verified.stderr
    assert verified.stdout + verified.stderr == ""
