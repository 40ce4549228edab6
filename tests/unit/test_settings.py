"""Settings (settings.py, docs/operations.md "Settings"): one typed model of every
`OPENCALENDARS_*` variable, from the environment and `./.env`, refusing nonsense in one line."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from typer.testing import CliRunner

from opencalendars.cli import app as cli
from opencalendars.events.worker import WorkerSettings
from opencalendars.http.rate_limits import DEFAULT_RATE_LIMITS, InvalidRateLimits, RateLimits
from opencalendars.settings import (
    Environment,
    InvalidSetting,
    Settings,
    format_rate_limits,
    load_environment,
)

VARIABLES = [f"OPENCALENDARS_{name.upper()}" for name in Environment.model_fields]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No OPENCALENDARS_* setting of the machine's, and a directory without a `.env`."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def refusal(monkeypatch, name: str, value: str) -> str:
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidSetting) as refused:
        Settings.from_env()
    return str(refused.value)


def pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_every_variable_has_its_default():
    settings = Settings.from_env()
    worker = WorkerSettings.from_env()

    assert settings == Settings()
    assert worker == WorkerSettings()
    assert settings.rate_limits == DEFAULT_RATE_LIMITS
    assert settings.request_threads == 4


WHOLE_1_64 = "a whole number from 1 to 64"
SECONDS = "a number of seconds above 0, at most 86400"
DATABASE = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


@pytest.mark.parametrize(
    ("name", "value", "accepts"),
    [
        ("OPENCALENDARS_REQUEST_THREADS", "abc", WHOLE_1_64),
        ("OPENCALENDARS_REQUEST_THREADS", "0", WHOLE_1_64),
        ("OPENCALENDARS_REQUEST_THREADS", "65", WHOLE_1_64),
        ("OPENCALENDARS_REQUEST_THREADS", "2.5", WHOLE_1_64),
        ("OPENCALENDARS_MAX_ATTEMPTS", "-1", "a whole number from 1 to 1000"),
        ("OPENCALENDARS_WORKER_BATCH", "0", "a whole number from 1 to 256"),
        ("OPENCALENDARS_HEADER_TIMEOUT_SECONDS", "0", SECONDS),
        ("OPENCALENDARS_HEADER_TIMEOUT_SECONDS", "-3", SECONDS),
        ("OPENCALENDARS_BODY_TIMEOUT_SECONDS", "ten", SECONDS),
        ("OPENCALENDARS_BODY_TIMEOUT_SECONDS", "nan", SECONDS),
        ("OPENCALENDARS_DELIVERY_TIMEOUT_SECONDS", "inf", SECONDS),
        ("OPENCALENDARS_RETRY_BASE_SECONDS", "0", SECONDS),
        ("OPENCALENDARS_RETRY_CAP_SECONDS", "86401", SECONDS),
        ("OPENCALENDARS_DELIVERY_LEASE_SECONDS", "-60", SECONDS),
        ("OPENCALENDARS_WORKER_POLL_SECONDS", "0", SECONDS),
        ("OPENCALENDARS_WITH_WORKER", "maybe", "one of 1, 0, true, false, yes, no, on, off"),
        ("OPENCALENDARS_DATABASE_URL", "mysql://root@db/oc", DATABASE),
        ("OPENCALENDARS_DATABASE_URL", "foo", DATABASE),
        ("OPENCALENDARS_DATABASE_URL", "postgresql+psycopg2://db/oc", DATABASE),
        (
            "OPENCALENDARS_REDIS_URL",
            "http://cache:6379",
            "redis://[:PASSWORD@]HOST[:PORT][/DB], rediss://... or unix://PATH",
        ),
        (
            "OPENCALENDARS_SMTP_URL",
            "mail.example.com:25",
            "smtp://[USER:PASSWORD@]HOST[:PORT], smtps://... or smtp+starttls://...",
        ),
        ("OPENCALENDARS_SMS_WEBHOOK_URL", "ftp://sms.example.com/", "an http:// or https:// URL"),
        ("OPENCALENDARS_SMS_WEBHOOK_URL", "https://sms.test:port/", "an http:// or https:// URL"),
        (
            "OPENCALENDARS_CONTACT_EMAIL",
            "{name}@contacts.example.com",
            "an address or a pattern such as {id}@contacts.example.com ({id} is the only"
            " placeholder; write {{ and }} for braces)",
        ),
        ("OPENCALENDARS_WEBHOOK_SIGNATURES", "hmac", "use ed25519, rsa or ed25519,rsa"),
    ],
)  # fmt: skip
def test_a_refused_setting_is_one_line_naming_it_and_what_it_accepts(
    monkeypatch, name, value, accepts
):
    assert refusal(monkeypatch, name, value) == f"{name}={value!r} is not valid: {accepts}"


def test_the_worker_settings_are_refused_alike(monkeypatch):
    monkeypatch.setenv("OPENCALENDARS_MAX_ATTEMPTS", "-1")

    with pytest.raises(InvalidSetting, match="OPENCALENDARS_MAX_ATTEMPTS='-1' is not valid"):
        WorkerSettings.from_env()


def test_a_malformed_rate_limit_keeps_its_own_message(monkeypatch):
    monkeypatch.setenv("OPENCALENDARS_RATE_LIMITS", "100/10s")

    with pytest.raises(InvalidRateLimits, match="it needs both an interval limit and a daily"):
        Settings.from_env()


def test_a_refused_url_never_shows_its_password(monkeypatch):
    line = refusal(monkeypatch, "OPENCALENDARS_DATABASE_URL", "mysql://oc:s3cret@db/oc")

    assert "s3cret" not in line
    assert line.startswith("OPENCALENDARS_DATABASE_URL='mysql://oc:***@db/oc' is not valid")


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("1", True), ("true", True), ("TRUE", True), ("Yes", True), ("on", True), (" on ", True),
        ("0", False), ("false", False), ("False", False), ("NO", False), ("off", False),
    ],
)  # fmt: skip
def test_booleans_take_the_usual_words_in_any_case(monkeypatch, word, value):
    monkeypatch.setenv("OPENCALENDARS_WITH_WORKER", word)

    assert Settings.from_env().with_worker is value


@pytest.mark.parametrize("word", ["maybe", "t", "y", "2", "enabled", "-1"])
def test_booleans_refuse_anything_else(monkeypatch, word):
    assert refusal(monkeypatch, "OPENCALENDARS_WITH_WORKER", word) == (
        f"OPENCALENDARS_WITH_WORKER={word!r} is not valid: one of 1, 0, true, false, yes, no, on,"
        " off"
    )


def test_an_empty_variable_is_an_unset_one(monkeypatch):
    for name in (
        "OPENCALENDARS_ADMIN_KEY",
        "OPENCALENDARS_REQUEST_THREADS",
        "OPENCALENDARS_WITH_WORKER",
    ):
        monkeypatch.setenv(name, "")

    settings = Settings.from_env()

    assert (settings.admin_key, settings.request_threads, settings.with_worker) == (None, 4, False)


def test_values_are_typed(monkeypatch):
    values = {
        "OPENCALENDARS_DATABASE_URL": "postgresql://oc:pw@db:5432/oc",
        "OPENCALENDARS_ADMIN_KEY": "k",
        "OPENCALENDARS_REQUEST_THREADS": "12",
        "OPENCALENDARS_WITH_WORKER": "yes",
        "OPENCALENDARS_HEADER_TIMEOUT_SECONDS": "2.5",
        "OPENCALENDARS_BODY_TIMEOUT_SECONDS": "60",
        "OPENCALENDARS_RATE_LIMITS": "20/1s,5000/day",
        "OPENCALENDARS_REDIS_URL": "redis://cache:6379/1",
        "OPENCALENDARS_WEBHOOK_SIGNATURES": "rsa,ed25519",
        "OPENCALENDARS_SMTP_URL": "smtp+starttls://user:pw@mail:587",
        "OPENCALENDARS_SMS_WEBHOOK_URL": "https://sms.example.com/hook",
        "OPENCALENDARS_CONTACT_EMAIL": "{id}@contacts.example.com",
        "OPENCALENDARS_USER_EMAIL": "staff@example.com",
        "OPENCALENDARS_DELIVERY_TIMEOUT_SECONDS": "2",
        "OPENCALENDARS_MAX_ATTEMPTS": "3",
        "OPENCALENDARS_RETRY_BASE_SECONDS": "0.1",
        "OPENCALENDARS_RETRY_CAP_SECONDS": "30",
        "OPENCALENDARS_DELIVERY_LEASE_SECONDS": "3",
        "OPENCALENDARS_WORKER_POLL_SECONDS": "0.05",
        "OPENCALENDARS_WORKER_BATCH": "4",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)

    settings = Settings.from_env()
    worker = WorkerSettings.from_env()

    assert settings == Settings(
        database_url="postgresql://oc:pw@db:5432/oc",
        admin_key="k",
        webhook_signatures=("ed25519", "rsa"),
        with_worker=True,
        header_timeout_seconds=2.5,
        body_timeout_seconds=60.0,
        rate_limits=RateLimits(burst=20, interval_ms=1000, daily=5000),
        redis_url="redis://cache:6379/1",
        request_threads=12,
    )
    assert worker == WorkerSettings(
        smtp_url="smtp+starttls://user:pw@mail:587",
        sms_webhook_url="https://sms.example.com/hook",
        webhook_signatures=("ed25519", "rsa"),
        contact_email="{id}@contacts.example.com",
        user_email="staff@example.com",
        timeout_s=2.0,
        max_attempts=3,
        retry_base_s=0.1,
        retry_cap_s=30.0,
        lease_s=3.0,
        poll_s=0.05,
        batch=4,
    )


def test_key_files_must_hold_a_key_of_their_algorithm(monkeypatch, tmp_path):
    (tmp_path / "ed25519.pem").write_bytes(pem(ed25519.Ed25519PrivateKey.generate()))
    (tmp_path / "rsa.pem").write_bytes(pem(rsa.generate_private_key(65537, 2048)))
    (tmp_path / "junk.pem").write_text("not a key")
    ed25519_file = "OPENCALENDARS_WEBHOOK_ED25519_KEY_FILE"
    rsa_file = "OPENCALENDARS_WEBHOOK_KEY_FILE"

    monkeypatch.setenv(ed25519_file, str(tmp_path / "ed25519.pem"))
    monkeypatch.setenv(rsa_file, str(tmp_path / "rsa.pem"))
    assert Settings.from_env().webhook_ed25519_key_file == str(tmp_path / "ed25519.pem")

    wrong = refusal(monkeypatch, ed25519_file, str(tmp_path / "rsa.pem"))
    junk = refusal(monkeypatch, ed25519_file, str(tmp_path / "junk.pem"))
    missing = refusal(monkeypatch, ed25519_file, str(tmp_path / "missing.pem"))
    monkeypatch.setenv(ed25519_file, str(tmp_path / "ed25519.pem"))
    rsa_wrong = refusal(monkeypatch, rsa_file, str(tmp_path / "ed25519.pem"))

    assert wrong.endswith(
        "is not valid: the ed25519 webhook key must be an Ed25519 private key in PEM"
    )
    assert junk.endswith(
        "is not valid: the ed25519 webhook key must be an Ed25519 private key in PEM"
    )
    assert missing == (
        f"{ed25519_file}={str(tmp_path / 'missing.pem')!r} is not valid: cannot read it (No such"
        " file or directory); use the path of a PEM file with an Ed25519 private key"
    )
    assert rsa_wrong.endswith("is not valid: the rsa webhook key must be an RSA private key in PEM")


def test_a_dotenv_file_in_the_current_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text(
        "# the operator's settings\n"
        "OPENCALENDARS_ADMIN_KEY=from-the-file\n"
        "OPENCALENDARS_REQUEST_THREADS=8\n"
        "OPENCALENDARS_MAX_ATTEMPTS=2\n"
        "SOMETHING_ELSE=ignored\n"
    )

    assert Settings.from_env().admin_key == "from-the-file"
    assert Settings.from_env().request_threads == 8
    assert WorkerSettings.from_env().max_attempts == 2


def test_the_environment_wins_over_the_dotenv_file(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text(
        "OPENCALENDARS_ADMIN_KEY=from-the-file\nOPENCALENDARS_REQUEST_THREADS=8\n"
    )
    monkeypatch.setenv("OPENCALENDARS_REQUEST_THREADS", "16")

    settings = Settings.from_env()

    assert (settings.admin_key, settings.request_threads) == ("from-the-file", 16)


def test_a_bad_value_in_the_dotenv_file_is_refused_by_name(tmp_path):
    (tmp_path / ".env").write_text("OPENCALENDARS_WITH_WORKER=maybe\n")

    with pytest.raises(InvalidSetting) as refused:
        Settings.from_env()

    assert str(refused.value) == (
        "OPENCALENDARS_WITH_WORKER='maybe' is not valid: one of 1, 0, true, false, yes, no, on, off"
    )


def test_a_dotenv_file_elsewhere_is_not_read(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("OPENCALENDARS_ADMIN_KEY=from-the-file\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")

    assert Settings.from_env().admin_key is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (None, "100/10s,200000/day"),
        ("off", "off"),
        ("20/1s,5000/day", "20/1s,5000/day"),
        ("5000/day, 600/60000ms", "600/1m,5000/day"),
        ("1/7200s,2/day", "1/2h,2/day"),
        ("3/1500ms,9/day", "3/1500ms,9/day"),
    ],
)
def test_rate_limits_are_shown_in_their_own_syntax(monkeypatch, text, shown):
    if text is not None:
        monkeypatch.setenv("OPENCALENDARS_RATE_LIMITS", text)

    assert format_rate_limits(Settings.from_env().rate_limits) == shown
    assert dict(load_environment().lines())["OPENCALENDARS_RATE_LIMITS"] == shown


def test_config_prints_every_setting_with_secrets_masked(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("OPENCALENDARS_REDIS_URL=redis://:redis-pw@cache:6379/0\n")
    environment = {
        "OPENCALENDARS_DATABASE_URL": "postgresql://oc:db-pw@db:5432/oc",
        "OPENCALENDARS_ADMIN_KEY": "admin-secret",
        "OPENCALENDARS_SMTP_URL": "smtps://mailer:smtp-pw@mail.example.com",
        "OPENCALENDARS_WITH_WORKER": "on",
        "OPENCALENDARS_WORKER_POLL_SECONDS": "0.25",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    result = CliRunner().invoke(cli, ["config"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    shown = dict(line.split("=", 1) for line in lines)
    assert [line.split("=", 1)[0] for line in lines] == VARIABLES
    for secret in ("db-pw", "admin-secret", "redis-pw", "smtp-pw"):
        assert secret not in result.output
    assert shown["OPENCALENDARS_DATABASE_URL"] == "postgresql://oc:***@db:5432/oc"
    assert shown["OPENCALENDARS_ADMIN_KEY"] == "********"
    assert shown["OPENCALENDARS_REDIS_URL"] == "redis://:***@cache:6379/0"
    assert shown["OPENCALENDARS_SMTP_URL"] == "smtps://mailer:***@mail.example.com"
    assert shown["OPENCALENDARS_WITH_WORKER"] == "true"
    assert shown["OPENCALENDARS_WORKER_POLL_SECONDS"] == "0.25"
    assert shown["OPENCALENDARS_REQUEST_THREADS"] == "4"
    assert shown["OPENCALENDARS_WEBHOOK_SIGNATURES"] == "ed25519"
    assert shown["OPENCALENDARS_WEBHOOK_KEY_FILE"] == ""


def test_config_shows_an_unset_admin_key_as_empty():
    result = CliRunner().invoke(cli, ["config"])

    assert result.exit_code == 0, result.output
    assert "OPENCALENDARS_ADMIN_KEY=\n" in result.output


def test_the_read_cache_is_on_unless_turned_off(monkeypatch):
    assert Settings.from_env().read_cache is True
    monkeypatch.setenv("OPENCALENDARS_READ_CACHE", "off")
    assert Settings.from_env().read_cache is False
