"""Who may do what in /granska: the session cookie, CSRF tokens and role checks.

- The session cookie is HttpOnly, SameSite=Strict, limited to /granska, and Secure when
  the request came over TLS (the connection, or `X-Forwarded-Proto: https` from the
  proxy in front).
- Every POST carries a CSRF token in the form (`csrf_token`) or the `X-CSRF-Token`
  header: the session's token once logged in; before login, a random token also set in
  a cookie (double submit). Over TLS that cookie is `__Host-granska_login_csrf`: the
  browser takes a `__Host-` cookie only from this very host over HTTPS (Secure, Path=/,
  no Domain), so a sibling subdomain or a plain-HTTP answer cannot plant a token of the
  attacker's choosing (cookie tossing, which a plain double submit is open to). A POST
  without the right token gets 403.
- `staff(...)` wraps a handler: no session -> redirect to the login page (HTML) or 401
  (JSON API); a reviewer on an admin route -> 403.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any
from urllib.parse import quote

from sanic.request import Request
from sanic.response import HTTPResponse, json, redirect

from bot.review.accounts import ADMIN, SESSION_SECONDS, Session, session_for

SESSION_COOKIE = "granska_session"
LOGIN_CSRF_COOKIE = "granska_login_csrf"  # over plain HTTP (development, tests)
LOGIN_CSRF_COOKIE_TLS = "__Host-granska_login_csrf"  # over TLS: this host only
LOGIN_CSRF_SECONDS = 3600
COOKIE_PATH = "/granska"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/granska/logga-in"

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]  # an async def, as Sanic wants


def is_tls(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.scheme == "https" or forwarded == "https"


def set_cookie(
    request: Request,
    response: HTTPResponse,
    name: str,
    value: str,
    max_age: int,
    path: str = COOKIE_PATH,
) -> None:
    response.cookies[name] = value
    cookie = response.cookies[name]
    cookie["path"] = path
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["max-age"] = max_age
    if is_tls(request):
        cookie["secure"] = True


def clear_cookie(request: Request, response: HTTPResponse, name: str) -> None:
    set_cookie(request, response, name, "", 0)


def set_session_cookie(request: Request, response: HTTPResponse, token: str) -> None:
    set_cookie(request, response, SESSION_COOKIE, token, SESSION_SECONDS)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def _login_csrf_cookie(request: Request) -> tuple[str, str]:
    """The login CSRF cookie's name and path for this request (`__Host-` needs Path=/)."""
    return (LOGIN_CSRF_COOKIE_TLS, "/") if is_tls(request) else (LOGIN_CSRF_COOKIE, COOKIE_PATH)


def set_login_csrf_cookie(request: Request, response: HTTPResponse, token: str) -> None:
    name, path = _login_csrf_cookie(request)
    set_cookie(request, response, name, token, LOGIN_CSRF_SECONDS, path)


def clear_login_csrf_cookie(request: Request, response: HTTPResponse) -> None:
    name, path = _login_csrf_cookie(request)
    set_cookie(request, response, name, "", 0, path)


def login_csrf_cookie(request: Request) -> str | None:
    """The login form's token from the cookie this request may carry it in."""
    return request.cookies.get(_login_csrf_cookie(request)[0])


def submitted_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    try:
        form = request.form
    except Exception:  # noqa: BLE001 - an unreadable body has no token
        return ""
    return (form.get(CSRF_FIELD) if form else None) or ""


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def safe_next(target: str | None) -> str:
    """Where to go after login: only our own pages (no open redirect)."""
    if (
        target
        and target.startswith("/granska/")
        and not target.startswith("//")
        and "\\" not in target
        and not target.startswith(LOGIN_PATH)
    ):
        return target
    return "/granska/"


def _wants_json(request: Request) -> bool:
    return request.path.startswith("/granska/api/")


def staff(admin: bool = False, roles: frozenset[str] | None = None) -> Callable[[Handler], Handler]:
    """Require a logged-in staff member (an admin if `admin`; one of `roles` if given),
    and a CSRF token on POST. The session is in `request.ctx.staff`."""

    def decorator(handler: Handler) -> Handler:
        @wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            review = request.app.ctx.review
            session: Session | None = await asyncio.to_thread(
                session_for, review.engine, request.cookies.get(SESSION_COOKIE)
            )
            if session is None:
                if _wants_json(request):
                    return json({"error": "not_logged_in"}, status=401)
                target = request.path + (f"?{request.query_string}" if request.query_string else "")
                return redirect(f"{LOGIN_PATH}?next={quote(target, safe='')}")
            request.ctx.staff = session
            if (admin and session.role != ADMIN) or (roles and session.role not in roles):
                if _wants_json(request):
                    return json({"error": "forbidden"}, status=403)
                code = "forbidden" if admin else "forbidden_role"
                return review.page(request, "error.html", {"code": code}, status=403)
            if request.method not in ("GET", "HEAD") and not tokens_match(
                session.csrf_token, submitted_csrf(request)
            ):
                return review.page(request, "error.html", {"code": "csrf"}, status=403)
            return await handler(request, *args, **kwargs)

        return wrapped

    return decorator
