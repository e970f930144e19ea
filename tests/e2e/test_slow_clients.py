"""A client that starts a request and stalls: the real web app closes the connection after
its REQUEST_TIMEOUT (10 s) in the header, RESPONSE_TIMEOUT (20 s) in the body (Sanic's
defaults: 60 s) and keeps answering others. Sanic
restarts that clock on every byte it receives, so a client that drips a byte now and then
is bounded by the proxy in front, not here (docs/DEPLOYMENT.md, "Slow clients"). A
regression fails on the socket timeout instead of hanging."""

from __future__ import annotations

import socket
import urllib.request
from urllib.parse import urlsplit

import pytest

from bot.web.app import RESPONSE_TIMEOUT_SECONDS

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(b"POST /api/chat HTTP/1.1\r\nHost: x\r\n", id="half a header"),
        pytest.param(
            b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{",
            id="half a body",
        ),
    ],
)
def test_a_stalled_request_is_cut_off(web_app_alone, start):
    parts = urlsplit(web_app_alone.web_url)
    # Well under Sanic's default of 60 s, over ours.
    with socket.create_connection(
        (parts.hostname, parts.port), timeout=RESPONSE_TIMEOUT_SECONDS + 15
    ) as sock:
        sock.sendall(start)
        # TimeoutError here: the server still waits for the rest. b"": it closed.
        answer = sock.recv(4096)
        assert answer == b"" or answer.startswith((b"HTTP/1.1 408 ", b"HTTP/1.1 503 ")), answer

    with urllib.request.urlopen(f"{web_app_alone.web_url}/api/health", timeout=10) as response:
        assert response.status == 200
