"""bot/content_length_guard.py: which Content-Length headers it refuses, and that it is
installed where Sanic 21.12 builds its HTTP/1 reader. Over real sockets, on every
server: tests/e2e/test_content_length.py."""

from __future__ import annotations

import inspect
import re

import pytest
import sanic
from sanic.http import Http
from sanic.server.protocols import http_protocol

from bot import content_length_guard
from bot.content_length_guard import GuardedHttp, content_length_problem, install


def head(*headers: str) -> bytes:
    return "\r\n".join(["POST /webhook HTTP/1.1", "Host: x", *headers]).encode("utf-8")


@pytest.mark.parametrize(
    "headers",
    [
        ("Content-Length: -1",),
        ("Content-Length: -0",),
        ("content-length: abc",),
        ("Content-Length: ",),
        ("Content-Length: 1e3",),
        ("Content-Length: +2",),
        ("Content-Length: 0x10",),
        ("Content-Length: 2, 2",),
        ("Content-Length: 2 2",),
        ("Content-Length: ٣",),  # an Arabic-Indic three: int() would take it
        ("Content-Length: 2", "Content-Length: 3"),
        ("Content-Length: 2", "CONTENT-LENGTH: -1"),
    ],
)
def test_refused(headers: tuple[str, ...]) -> None:
    assert content_length_problem(head(*headers)) is not None


@pytest.mark.parametrize(
    "headers",
    [
        (),
        ("Content-Length: 0",),
        ("Content-Length: 17",),
        ("Content-Length:17 ",),
        ("Content-Length: 007",),
        ("Content-Length: 2", "content-length: 2"),
        ("Transfer-Encoding: chunked",),
        # Not a header Sanic reads as Content-Length (it does not strip names), so no body.
        ("Content-Length : -1",),
        ("X-Content-Length: -1",),
    ],
)
def test_accepted(headers: tuple[str, ...]) -> None:
    assert content_length_problem(head(*headers)) is None


def test_the_request_line_is_not_a_header() -> None:
    assert content_length_problem(b"POST /content-length:-1 HTTP/1.1\r\nHost: x") is None


def test_importing_the_guard_installs_it_where_sanic_builds_its_reader() -> None:
    assert http_protocol.Http is GuardedHttp
    # The name the patch replaces is the one each new connection looks up.
    assert "self._http = Http(self)" in inspect.getsource(http_protocol.HttpProtocol)
    install()  # idempotent
    assert http_protocol.Http is GuardedHttp


def test_written_for_this_sanic() -> None:
    """Fails on a Sanic upgrade on purpose: check whether the new reader still hangs on a
    negative Content-Length (tests/e2e/test_content_length.py without the guard), then
    adapt the guard and SANIC_VERSIONS, or remove the guard."""
    assert sanic.__version__.startswith(content_length_guard.SANIC_VERSIONS)
    # The unguarded conversion the bug lives in (sanic/http.py, Http.http1_request_header).
    assert re.search(r'int\(\s*headers\["content-length"\]\s*\)', inspect.getsource(sanic.http))


def test_refuses_to_patch_a_reader_it_does_not_know(monkeypatch: pytest.MonkeyPatch) -> None:
    class SomeoneElsesHttp(Http):
        __slots__ = ()

    monkeypatch.setattr(http_protocol, "Http", SomeoneElsesHttp)
    with pytest.raises(RuntimeError, match="written for Sanic"):
        install()
    monkeypatch.setattr(http_protocol, "Http", Http)
    monkeypatch.setattr(sanic, "__version__", "23.12.0")
    with pytest.raises(RuntimeError, match="written for Sanic"):
        install()
