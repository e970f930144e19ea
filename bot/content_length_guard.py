"""Refuse a request whose `Content-Length` is not one plain number, in every Sanic server
of the bot: the web app, the Rasa server and the action server.

Sanic 21.12's HTTP/1 reader (`sanic.http.Http`) takes `int(headers["content-length"])`
as it is. A negative length (`Content-Length: -1` with a body) makes `request_bytes_left`
negative, and `Http.read` then loops without ever yielding to the event loop: one request
hangs the whole server at 100 % CPU until SIGKILL. A non-numeric length is a 500, and of
two different lengths Sanic silently takes the first (a request-smuggling ingredient).

`GuardedHttp` reads the header block first and, when a `Content-Length` value is not
ASCII digits (a sign, a letter, a list, a non-ASCII digit) or several disagree, answers
400 Bad Request itself (plain text, like nginx) and closes the connection without reading
the body. It answers itself because there is no request yet and the apps' error handlers
differ: rasa_sdk's turns every exception into a 500. Everything else is Sanic's own code.
Installing it replaces the name `Http` in `sanic.server.protocols.http_protocol`, where
each new connection builds its reader; it is process-wide and idempotent. Importing this
module installs it, so one import line applies it wherever Sanic serves:
`bot/adapters/__init__.py` (Rasa imports our channels before it starts serving),
`actions/__init__.py` (rasa_sdk imports the actions before it starts serving) and
`bot.web.app.create_app`.

Written for Sanic 21.12 (the line Rasa 3.6 pins); `install` refuses to patch a Sanic
whose reader it does not know, and tests/integration/test_content_length_guard.py fails
on another version, so an upgrade is a decision: re-check the bug and adapt or drop this.
Imports nothing of ours, so every layer and the actions may import it.
"""

from __future__ import annotations

import logging
import re

import sanic
from sanic.exceptions import InvalidUsage
from sanic.http import Http, Stage
from sanic.server.protocols import http_protocol

logger = logging.getLogger(__name__)

SANIC_VERSIONS = ("21.12.",)  # the versions whose HTTP/1 reader this guard was written for
_DIGITS = re.compile(rb"[0-9]+")
_HEADER_END = b"\r\n\r\n"


class BadContentLength(InvalidUsage):
    """400: a Content-Length that is not one plain non-negative number."""


def content_length_problem(head: bytes) -> str | None:
    """Why the Content-Length headers of a raw HTTP/1 header block are unacceptable, or
    None when there is none or every one is the same plain number.

    Header names are matched as Sanic matches them (`name.lower()`, no stripping), so
    exactly the headers Sanic would read are checked."""
    values: list[bytes] = []
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.lower() == b"content-length":
            values.append(value.strip(b" \t"))
    if not values:
        return None
    if not all(_DIGITS.fullmatch(value) for value in values):
        return "Content-Length is not a non-negative number"
    if len({int(value) for value in values}) > 1:
        return "conflicting Content-Length headers"
    return None


class GuardedHttp(Http):
    """Sanic's HTTP/1 reader that checks the Content-Length before Sanic parses it."""

    __slots__ = ()

    async def http1_request_header(self) -> None:
        buf = self.recv_buffer
        # Wait for the whole header block as Sanic does; past its size limit Sanic answers 413.
        while _HEADER_END not in buf and len(buf) - 3 < self.HEADER_MAX_SIZE:
            await self._receive_more()
        end = buf.find(_HEADER_END)
        if end != -1:
            problem = content_length_problem(bytes(buf[:end]))
            if problem is not None:
                self.keep_alive = False
                raise BadContentLength(problem)
        await super().http1_request_header()

    async def error_response(self, exception: Exception) -> None:
        if not isinstance(exception, BadContentLength):
            await super().error_response(exception)
            return
        # No request exists and none will: answer, and let Sanic's loop end (keep_alive
        # is off, there is no body to drain) and close the connection.
        logger.info("Refused a request: %s", exception)
        self.stage = Stage.FAILED
        body = f"400 Bad Request: {exception}\n".encode()
        await self._send(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )


def install() -> None:
    """Make every Sanic server in this process build `GuardedHttp` for its connections."""
    current = http_protocol.Http
    if current is GuardedHttp:
        return
    if current is not Http or not sanic.__version__.startswith(SANIC_VERSIONS):
        raise RuntimeError(
            f"bot.content_length_guard was written for Sanic {SANIC_VERSIONS}, found "
            f"{sanic.__version__} (reader {current!r}): check whether its HTTP/1 reader "
            "still hangs on a negative Content-Length, then adapt or remove the guard"
        )
    setattr(http_protocol, "Http", GuardedHttp)  # noqa: B010 - a module attribute, patched


install()
