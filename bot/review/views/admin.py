"""Admin pages: staff accounts, the retention settings (period, gallringsbeslut) and purge
log, the audit log."""

from __future__ import annotations

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.review import accounts, audit
from bot.review.security import staff
from bot.review.views import Route, form_value, page_number, review_of, see_other
from bot.store.retention import (
    read_case_purge_log,
    read_purge_log,
    retention_days,
    retention_decision,
)


@staff(admin=True)
async def users_page(request: Request) -> HTTPResponse:
    review = review_of(request)
    users = await review.run(accounts.list_users, review.engine)
    return review.page(
        request,
        "users.html",
        {
            "users": users,
            "roles": accounts.ROLES,
            "message": request.args.get("meddelande", ""),
            "error": request.args.get("fel", ""),
            "min_password": accounts.MIN_PASSWORD_LENGTH,
        },
    )


@staff(admin=True)
async def add_user(request: Request) -> HTTPResponse:
    review = review_of(request)
    username = form_value(request, "username").lower()
    role = form_value(request, "role")
    try:
        await review.run(
            accounts.add_user,
            review.engine,
            username,
            role,
            (request.form or {}).get("password") or "",
        )
    except accounts.AccountError:
        return see_other("/granska/admin/anvandare?fel=bad_user")
    await review.audit(request, audit.ADD_USER, username, {"role": role})
    return see_other("/granska/admin/anvandare?meddelande=user_added")


@staff(admin=True)
async def remove_user(request: Request) -> HTTPResponse:
    review = review_of(request)
    username = form_value(request, "username")
    if username == request.ctx.staff.username:
        return see_other("/granska/admin/anvandare?fel=remove_self")
    if await review.run(accounts.remove_user, review.engine, username):
        await review.audit(request, audit.REMOVE_USER, username)
    return see_other("/granska/admin/anvandare?meddelande=user_removed")


@staff(admin=True)
async def settings_page(request: Request) -> HTTPResponse:
    review = review_of(request)
    try:
        days: int | None = retention_days()
    except ValueError:
        days = None
    try:
        decision: str | None = retention_decision()
    except ValueError:
        decision = None
    purges = (await review.run(read_purge_log, request.app.ctx.config.tracker_db_url))[-20:]
    case_purges = await review.run(read_case_purge_log, request.app.ctx.config.tracker_db_url)
    return review.page(
        request,
        "settings.html",
        {
            "retention_days": days,
            "retention_decision": decision,
            "purges": list(reversed(purges)),
            "case_purges": list(reversed(case_purges[-20:])),
            "settings": review.settings,
            "indexes": review.indexes,
        },
    )


@staff(admin=True)
async def audit_page(request: Request) -> HTTPResponse:
    review = review_of(request)
    number = page_number(request)
    who = request.args.get("vem") or None
    entries, has_next = await review.run(audit.entries, review.engine, number, who)
    return review.page(
        request,
        "audit.html",
        {"entries": entries, "has_next": has_next, "number": number, "who": who or ""},
    )


ROUTES: list[Route] = [
    ("GET", "/admin/anvandare", users_page),
    ("POST", "/admin/anvandare", add_user),
    ("POST", "/admin/anvandare/ta-bort", remove_user),
    ("GET", "/admin/installningar", settings_page),
    ("GET", "/admin/logg", audit_page),
]
