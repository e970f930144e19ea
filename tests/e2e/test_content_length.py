"""A bad `Content-Length` on a raw socket, to each real server (web app, Rasa, action
server): 400, and the server still answers afterwards (bot/content_length_guard.py).

Without the guard, Sanic 21.12 hangs for good on `Content-Length: -1` with a body (100 %
CPU, every route dead) and answers 500 to a non-numeric one. Every socket has a timeout,
so a regression fails here instead of hanging the test run.
"""

from __future__ import annotations

import socket
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.slow

TIMEOUT = 10  # seconds; the guard answers at once, a hung server never does


@dataclass(frozen=True)
class Server:
    url: str
    post_path: str  # where a body is expected
    health_path: str  # a GET that answers 200 while the server is alive


@pytest.fixture(params=["web app", "action server", "rasa"])
def server(request: pytest.FixtureRequest) -> Server:
    if request.param == "web app":
        return Server(request.getfixturevalue("web_app_alone").web_url, "/api/chat", "/api/health")
    if request.param == "action server":
        return Server(request.getfixturevalue("action_server").action_url, "/webhook", "/health")
    return Server(request.getfixturevalue("running_bot").rasa_url, "/webhooks/rest/webhook", "/")


def raw_request(url: str, method: str, path: str, length_headers: list[str], body: bytes) -> bytes:
    """Send one request with these Content-Length values as they are and read the whole
    response (the request asks the server to close); b"" if it closed without one. A server
    that hangs raises socket.timeout."""
    parts = urlsplit(url)
    head = f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
    head += "Content-Type: application/json\r\n"
    head += "".join(f"Content-Length: {value}\r\n" for value in length_headers)
    received = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        while chunk := sock.recv(65536):
            received += chunk
    return received


def health_status(server: Server) -> int:
    with urllib.request.urlopen(server.url + server.health_path, timeout=TIMEOUT) as response:
        return response.status


BAD_LENGTHS = [
    pytest.param(["-1"], id="negative"),
    pytest.param(["-100"], id="more negative than the body"),
    pytest.param(["abc"], id="not a number"),
    pytest.param(["1e3"], id="exponent"),
    pytest.param(["+2"], id="with a sign"),
    pytest.param(["2, 2"], id="a list"),
    pytest.param(["2", "3"], id="two that disagree"),
    pytest.param(["2", "-1"], id="a good one, then a negative one"),
]


@pytest.mark.parametrize("lengths", BAD_LENGTHS)
def test_bad_content_length_is_400_and_the_server_keeps_answering(
    server: Server, lengths: list[str]
) -> None:
    response = raw_request(server.url, "POST", server.post_path, lengths, b"{}")

    assert response.startswith(b"HTTP/1.1 400 "), response[:300]
    assert health_status(server) == 200


def test_a_repeated_equal_content_length_passes_the_guard(server: Server) -> None:
    response = raw_request(server.url, "GET", server.health_path, ["2", "2"], b"{}")

    assert response.startswith(b"HTTP/1.1 200 "), response[:300]
