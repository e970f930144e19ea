"""Logging in and out: the login form (CSRF cookie; after repeated failures a growing
wait, 429 with Retry-After, bot/review/accounts.py) and the session cookie."""

from __future__ import annotations

import logging

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.review import accounts, audit
from bot.review.security import (
    CSRF_FIELD,
    LOGIN_PATH,
    SESSION_COOKIE,
    clear_cookie,
    clear_login_csrf_cookie,
    login_csrf_cookie,
    new_login_csrf,
    safe_next,
    set_login_csrf_cookie,
    set_session_cookie,
    staff,
    tokens_match,
)
from bot.review.views import Route, form_value, review_of, see_other

logger = logging.getLogger(__name__)


def login_page(
    request: Request,
    *,
    error: str | None = None,
    status: int = 200,
    username: str = "",
    wait_seconds: int = 0,
) -> HTTPResponse:
    token = new_login_csrf()
    response = review_of(request).page(
        request,
        "login.html",
        {
            "login_csrf": token,
            "error": error,
            "username": username,
            "next": safe_next(request.args.get("next") or _form_or_none(request, "next")),
            "wait_seconds": wait_seconds,
            "wait_minutes": max(1, (wait_seconds + 59) // 60),
        },
        status=status,
    )
    set_login_csrf_cookie(request, response, token)
    return response


def _form_or_none(request: Request, name: str) -> str | None:
    if request.method != "POST":
        return None
    return form_value(request, name) or None


def _ip(request: Request) -> str:
    return request.remote_addr or request.ip or "?"


async def login_form(request: Request) -> HTTPResponse:
    return login_page(request)


async def login(request: Request) -> HTTPResponse:
    review = review_of(request)
    if not tokens_match(login_csrf_cookie(request), form_value(request, CSRF_FIELD)):
        return review.page(request, "error.html", {"code": "csrf"}, status=403)
    username = form_value(request, "username").lower()[:64]
    password = (request.form or {}).get("password") or ""
    ip = _ip(request)
    wait = await review.run(accounts.seconds_until_allowed, review.engine, username, ip)
    if wait:
        logger.warning("login refused for %r from %s: too many failures", username, ip)
        response = login_page(
            request,
            error="rate_limited",
            status=429,
            username=username,
            wait_seconds=wait,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    user = await review.run(accounts.authenticate, review.engine, username, password)
    if user is None:
        await review.run(accounts.record_failure, review.engine, username, ip)
        await review.run(
            audit.log, review.engine, username or "?", audit.LOGIN_FAILED, None, {"ip": ip}
        )
        return login_page(request, error="bad_login", status=401, username=username)
    token = await review.run(accounts.start_session, review.engine, user)
    await review.run(audit.log, review.engine, user.username, audit.LOGIN, None, {"ip": ip})
    response = see_other(safe_next(form_value(request, "next")))
    set_session_cookie(request, response, token)
    clear_login_csrf_cookie(request, response)
    return response


@staff()
async def logout(request: Request) -> HTTPResponse:
    review = review_of(request)
    await review.run(accounts.end_session, review.engine, request.cookies.get(SESSION_COOKIE))
    await review.audit(request, audit.LOGOUT)
    response = see_other(LOGIN_PATH)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


ROUTES: list[Route] = [
    ("GET", "/logga-in", login_form),
    ("POST", "/logga-in", login),
    ("POST", "/logga-ut", logout),
]
