"""Webhook signatures as the live service sends them (PRODUCT §12, issue 14 item 10): Ed25519 in
`x-ghl-signature` by default, RSA in `x-wh-signature` on request, or both; the public keys as
PEM at `GET /webhooks/public-key[?alg=]`. Real deliveries, captured by a real receiver, are
checked with `cryptography` and with the official SDK's `WebhookManager`."""

import base64
import os
import subprocess
import sys

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from highlevel import HighLevel

from concurrency.races import calendar_with
from events.booking import book
from opencalendars.events.worker import WorkerSettings
from opencalendars.settings import Settings, webhook_signatures
from support.receivers import Received, http_receiver
from support.server import live_server, live_worker

ED25519_HEADER = "x-ghl-signature"
RSA_HEADER = "x-wh-signature"
SIGNATURES_ENV = "OPENCALENDARS_WEBHOOK_SIGNATURES"
# Not ASCII, so that the signed bytes are UTF-8 that receivers must not re-encode.
TITLE = "Café 会議 — intro"


def public_pem(base_url: str, alg: str | None = None) -> str:
    params = {"alg": alg} if alg else {}
    response = httpx.get(f"{base_url}/webhooks/public-key", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-pem-file"
    return response.text


def ed25519_verifies(pem: str, body: bytes, signature: str) -> bool:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, ed25519.Ed25519PublicKey)
    raw = base64.b64decode(signature, validate=True)
    assert len(raw) == 64
    try:
        key.verify(raw, body)
    except Exception:
        return False
    return True


def rsa_verifies(pem: str, body: bytes, signature: str) -> bool:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(base64.b64decode(signature), body, padding.PKCS1v15(), hashes.SHA256())
    except Exception:
        return False
    return True


def sdk_verdict(item: Received, ed25519_pem: str, rsa_pem: str) -> tuple[str | None, bool]:
    """What the official SDK concludes about a delivery: the signature step of
    `WebhookManager.subscribe()` (highlevel/webhook/webhook_manager.py), with the SDK's own
    verification methods. The middleware itself only goes that far for app webhooks (`appId`
    equal to CLIENT_ID's prefix); appointment webhooks carry no `appId`, so a receiver calls
    these methods as the middleware does: the raw body decoded as UTF-8, Ed25519 first
    (`x-ghl-signature` with WEBHOOK_SIGNATURE_PUBLIC_KEY), else RSA (`x-wh-signature` with
    WEBHOOK_PUBLIC_KEY)."""
    manager = HighLevel(private_integration_token="not-used").webhooks
    payload = item.body.decode("utf-8")
    if item.headers.get(ED25519_HEADER):
        signature = item.headers[ED25519_HEADER]
        return "ed25519", manager.verify_ed25519_signature(payload, signature, ed25519_pem)
    if item.headers.get(RSA_HEADER):
        return "rsa", manager.verify_signature(payload, item.headers[RSA_HEADER], rsa_pem)
    return None, False


def tampered(item: Received) -> Received:
    return Received(item.headers, item.body.replace(b"intro", b"intrO"))


def one_delivery(sandbox, **worker_env: str) -> Received:
    """A booking's AppointmentCreate as a real worker (with `worker_env`) delivers it."""
    tenant = sandbox.tenant()
    calendar_id = calendar_with(tenant, "personal", ["ann"])
    with http_receiver() as receiver:
        sandbox.subscribe(tenant, receiver.url)
        book(tenant, calendar_id, title=TITLE)
        with live_worker(sandbox.database_url, sandbox.directory, **worker_env):
            (item,) = receiver.wait_for(1)
            (message,) = sandbox.settled(tenant)
    assert message["status"] == "delivered"
    assert item.json()["appointment"]["title"] == TITLE
    assert TITLE.encode() in item.body  # raw UTF-8, not \u escapes
    return item


@pytest.mark.parametrize(
    ("setting", "headers"),
    [
        (None, {ED25519_HEADER}),
        ("ed25519", {ED25519_HEADER}),
        ("rsa", {RSA_HEADER}),
        ("ed25519,rsa", {ED25519_HEADER, RSA_HEADER}),
    ],
    ids=["default", "ed25519", "rsa", "ed25519,rsa"],
)
def test_deliveries_carry_the_configured_signatures_and_each_verifies(
    sandbox, clock, monkeypatch, setting, headers
):
    monkeypatch.delenv(SIGNATURES_ENV, raising=False)
    item = one_delivery(sandbox, **({SIGNATURES_ENV: setting} if setting else {}))
    ed25519_pem = public_pem(sandbox.base_url, "ed25519")
    rsa_pem = public_pem(sandbox.base_url, "rsa")

    assert {name for name in (ED25519_HEADER, RSA_HEADER) if name in item.headers} == headers
    if ED25519_HEADER in headers:
        signature = item.headers[ED25519_HEADER]
        assert ed25519_verifies(ed25519_pem, item.body, signature)
        assert not ed25519_verifies(ed25519_pem, tampered(item).body, signature)
    if RSA_HEADER in headers:
        signature = item.headers[RSA_HEADER]
        assert rsa_verifies(rsa_pem, item.body, signature)
        assert not rsa_verifies(rsa_pem, tampered(item).body, signature)
        # The RSA key is the one served before Ed25519, still at the address without `alg`.
        assert rsa_verifies(public_pem(sandbox.base_url), item.body, signature)

    # The official SDK accepts the delivery, with Ed25519 whenever it is there, and refuses it
    # once a byte changes.
    expected = "ed25519" if ED25519_HEADER in headers else "rsa"
    assert sdk_verdict(item, ed25519_pem, rsa_pem) == (expected, True)
    assert sdk_verdict(tampered(item), ed25519_pem, rsa_pem) == (expected, False)
    if RSA_HEADER in headers:
        only_rsa = Received({RSA_HEADER: item.headers[RSA_HEADER]}, item.body)
        assert sdk_verdict(only_rsa, ed25519_pem, rsa_pem) == ("rsa", True)


def test_the_public_keys_by_algorithm(sandbox):
    default = public_pem(sandbox.base_url)
    ed25519_pem = public_pem(sandbox.base_url, "ed25519")

    assert public_pem(sandbox.base_url, "rsa") == default
    assert isinstance(serialization.load_pem_public_key(default.encode()), rsa.RSAPublicKey)
    ed25519_key = serialization.load_pem_public_key(ed25519_pem.encode())
    assert isinstance(ed25519_key, ed25519.Ed25519PublicKey)
    # SubjectPublicKeyInfo, as the SDK's WEBHOOK_SIGNATURE_PUBLIC_KEY takes it.
    assert ed25519_pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert (
        ed25519_pem
        == ed25519_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
    )
    sdk = HighLevel(private_integration_token="not-used").webhooks
    assert sdk._load_ed25519_public_key(ed25519_pem) is not None
    # Kept in the database: the same keys on every call (and in every process).
    assert public_pem(sandbox.base_url, "ed25519") == ed25519_pem
    assert public_pem(sandbox.base_url) == default


@pytest.mark.parametrize("alg", ["ed448", "RSA", "", "ed25519,rsa"])
def test_an_unknown_algorithm_is_a_400(sandbox, alg):
    response = httpx.get(f"{sandbox.base_url}/webhooks/public-key", params={"alg": alg})

    assert response.status_code == 400
    body = response.json()
    assert set(body) <= {"statusCode", "message", "error", "traceId"}
    assert {key: body[key] for key in ("statusCode", "message", "error")} == {
        "statusCode": 400,
        "message": ["alg must be one of the following values: ed25519, rsa"],
        "error": "Bad Request",
    }


def private_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def spki_pem(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_key_files_sign_and_are_served(sandbox, clock, monkeypatch, tmp_path):
    ed25519_key = ed25519.Ed25519PrivateKey.generate()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "ed25519.pem").write_text(private_pem(ed25519_key))
    (tmp_path / "rsa.pem").write_text(private_pem(rsa_key))
    env = {
        "OPENCALENDARS_WEBHOOK_ED25519_KEY_FILE": str(tmp_path / "ed25519.pem"),
        "OPENCALENDARS_WEBHOOK_KEY_FILE": str(tmp_path / "rsa.pem"),
        SIGNATURES_ENV: "ed25519,rsa",
    }
    for name, value in env.items():
        monkeypatch.setitem(os.environ, name, value)

    with live_server(sandbox.database_url, sandbox.directory) as server:
        served_ed25519 = public_pem(server.base_url, "ed25519")
        served_rsa = public_pem(server.base_url)
    item = one_delivery(sandbox)

    assert served_ed25519 == spki_pem(ed25519_key)
    assert served_rsa == spki_pem(rsa_key)
    assert served_ed25519 != public_pem(sandbox.base_url, "ed25519")  # not the database's
    assert ed25519_verifies(served_ed25519, item.body, item.headers[ED25519_HEADER])
    assert rsa_verifies(served_rsa, item.body, item.headers[RSA_HEADER])
    assert sdk_verdict(item, served_ed25519, served_rsa) == ("ed25519", True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, ("ed25519",)),
        ("", ("ed25519",)),
        ("ed25519", ("ed25519",)),
        ("rsa", ("rsa",)),
        ("ed25519,rsa", ("ed25519", "rsa")),
        ("rsa,ed25519", ("ed25519", "rsa")),
        (" RSA , Ed25519 ", ("ed25519", "rsa")),
    ],
)
def test_the_signatures_setting(text, expected):
    assert webhook_signatures(text) == expected


@pytest.mark.parametrize("text", ["ed2559", "hmac", "ed25519,", "ed25519;rsa", "none", ","])
def test_an_invalid_signatures_setting_is_refused(text, monkeypatch):
    monkeypatch.setenv(SIGNATURES_ENV, text)
    message = f"{SIGNATURES_ENV}={text!r} is not valid: use ed25519, rsa or ed25519,rsa"

    with pytest.raises(ValueError) as refused:
        webhook_signatures(text)
    assert str(refused.value) == message
    with pytest.raises(ValueError, match="is not valid"):
        Settings.from_env()
    with pytest.raises(ValueError, match="is not valid"):
        WorkerSettings.from_env()


def run_cli(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opencalendars", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )


def one_line(process: subprocess.CompletedProcess) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join((process.stdout + process.stderr).split())


def test_processes_refuse_to_start_with_an_invalid_setting_or_key(tmp_path):
    database = f"sqlite:///{tmp_path / 'refused.db'}"
    bad = {SIGNATURES_ENV: "ed25519,dsa"}
    worker = run_cli(tmp_path, "worker", "--once", "--database-url", database, **bad)
    server = run_cli(tmp_path, "serve", "--port", "9", "--database-url", database, **bad)
    (tmp_path / "rsa.pem").write_text(
        private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    )
    wrong_key = run_cli(
        tmp_path,
        "worker",
        "--once",
        "--database-url",
        database,
        OPENCALENDARS_WEBHOOK_ED25519_KEY_FILE=str(tmp_path / "rsa.pem"),
    )

    for refused in (worker, server):
        assert refused.returncode != 0
        assert (
            "OPENCALENDARS_WEBHOOK_SIGNATURES='ed25519,dsa' is not valid: use ed25519, rsa or"
            " ed25519,rsa" in one_line(refused)
        )
    assert wrong_key.returncode != 0
    assert "the ed25519 webhook key must be an Ed25519 private key in PEM" in one_line(wrong_key)
