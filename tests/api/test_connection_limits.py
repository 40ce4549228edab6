"""Clients cannot hold a connection or fill the server's memory (issue 19, defect 9): a
connection whose request headers are not complete within OPENCALENDARS_HEADER_TIMEOUT_SECONDS
is closed, headers past MAX_HEADER_BYTES are answered 431, and a body not whole within
OPENCALENDARS_BODY_TIMEOUT_SECONDS is answered 408. A real server process, raw sockets; the
deadlines are set to one second, and the tests assert on the connection being closed, not on
when."""

import json
import socket
import uuid

import pytest

from opencalendars.settings import MAX_HEADER_BYTES
from support.api import ADMIN_KEY
from support.databases import fresh_database
from support.server import live_server

pytestmark = pytest.mark.slow

# Far beyond the one-second deadlines: reaching it means the server never let go.
GIVE_UP_SECONDS = 15


@pytest.fixture(scope="module")
def address(tmp_path_factory) -> tuple[str, int]:
    directory = tmp_path_factory.mktemp("slow")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENCALENDARS_HEADER_TIMEOUT_SECONDS", "1")
        patch.setenv("OPENCALENDARS_BODY_TIMEOUT_SECONDS", "1")
        with fresh_database(directory) as url, live_server(url, directory) as server:
            host, port = server.base_url.removeprefix("http://").split(":")
            yield host, int(port)


def answered(body: bytes) -> dict:
    """The envelope, its traceId checked and set aside (support/trace_ids.py)."""
    envelope = json.loads(body)
    assert uuid.UUID(envelope.pop("traceId")).version == 4
    return envelope


def connect(address) -> socket.socket:
    sock = socket.create_connection(address)
    sock.settimeout(GIVE_UP_SECONDS)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def test_a_connection_that_sends_nothing_is_closed(address):
    with connect(address) as sock:
        assert read_until_closed(sock) == b""


def test_headers_that_never_end_are_cut_off(address):
    with connect(address) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert read_until_closed(sock) == b""


def test_the_next_request_on_a_kept_alive_connection_has_the_same_deadline(address):
    with connect(address) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b'"}'):  # the answer's last field, its traceId
            chunk = sock.recv(65536)
            assert chunk, first
            first += chunk
        assert first.startswith(b"HTTP/1.1 200 ")
        # A byte of the next request stops uvicorn's keep-alive timer; the header deadline not.
        sock.sendall(b"G")
        assert read_until_closed(sock) == b""


def test_a_trickling_body_is_answered_408_and_the_connection_closed(address):
    with connect(address) as sock:
        sock.sendall(
            b"POST /admin/locations HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {ADMIN_KEY}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            + b'{"name": "Slo'
        )
        answer = read_until_closed(sock)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ")
    assert answered(body) == {
        "statusCode": 408,
        "message": "The request body did not arrive within 1 s",
        "error": "Request Timeout",
    }


def test_requests_in_time_are_served(address):
    with connect(address) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        sock.sendall(b"Host: x\r\nConnection: close\r\n\r\n")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 200 ")


def test_headers_past_the_size_limit_are_answered_431_and_the_connection_closed(address):
    with connect(address) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * MAX_HEADER_BYTES)
        answer = read_until_closed(sock)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ")
    assert answered(body) == {
        "statusCode": 431,
        "message": "Request headers must not be larger than 65536 bytes",
        "error": "Request Header Fields Too Large",
    }
