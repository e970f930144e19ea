"""Every error the web app returns is JSON: `{"error": code, "message": Swedish text}`.

The code is for programs (and the widget), the message for the citizen; messages come from
data/web_texts.yml. Unexpected exceptions are logged with their traceback and answered
with the generic `internal` message: a stack trace never reaches the browser.
"""

from __future__ import annotations

import logging

from sanic import Sanic
from sanic.exceptions import (
    InvalidUsage,
    MethodNotSupported,
    NotFound,
    PayloadTooLarge,
    SanicException,
)
from sanic.request import Request
from sanic.response import HTTPResponse, json

logger = logging.getLogger(__name__)


class ApiError(SanicException):
    """A request we refuse, with the error code that selects its Swedish message."""

    def __init__(self, code: str, status_code: int, retry_after: int | None = None) -> None:
        super().__init__(code, status_code=status_code)
        self.code = code
        self.retry_after = retry_after


_SANIC_CODES: tuple[tuple[type[SanicException], str], ...] = (
    (NotFound, "not_found"),
    (MethodNotSupported, "method_not_allowed"),
    (PayloadTooLarge, "request_too_large"),
    (InvalidUsage, "invalid_request"),
)


def error_response(
    app: Sanic, code: str, status: int, headers: dict[str, str] | None = None
) -> HTTPResponse:
    return json(
        {"error": code, "message": app.ctx.texts.error(code)}, status=status, headers=headers
    )


def _where(request: Request | None) -> str:
    return f"{request.method} {request.path}" if request is not None else "request"


def register_error_handlers(app: Sanic) -> None:
    @app.exception(ApiError)
    async def api_error(request: Request, exc: ApiError) -> HTTPResponse:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return error_response(app, exc.code, exc.status_code, headers)

    @app.exception(SanicException)
    async def sanic_error(request: Request, exc: SanicException) -> HTTPResponse:
        status = getattr(exc, "status_code", 500) or 500
        code = next((c for kind, c in _SANIC_CODES if isinstance(exc, kind)), None)
        if code is None:
            code = "invalid_request" if 400 <= status < 500 else "internal"
        if status >= 500:
            logger.error("%s failed: %s", _where(request), exc)
        return error_response(app, code, status)

    @app.exception(Exception)
    async def unexpected(request: Request, exc: Exception) -> HTTPResponse:
        logger.exception("%s failed", _where(request))
        return error_response(app, "internal", 500)
