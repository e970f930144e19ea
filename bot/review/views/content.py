"""Content ("Innehåll"): every service in the catalog with its kind, responsible nämnd,
owner, review dates and state, and "Uppgifterna stämmer": an admin confirms that a
declaration is still right without changing it, which sets its review date (audited).

The confirmation is kept in the tracker database (bot/store/content_reviews.py); every
web app and action server follows it within their catalog check interval, so the bot's
answers carry the new date and drop the "reviewed more than a year ago" warning.
"""

from __future__ import annotations

from typing import Any

from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot.core.catalog import Catalog, CatalogStore
from bot.core.clock import today_in_sweden
from bot.core.review_schedule import ReviewDue, review_schedule
from bot.review import audit
from bot.review.security import staff
from bot.review.views import ReviewContext, Route, review_of, see_other
from bot.store import content_reviews

PUBLISHED = "published"


def catalog_store(request: Request) -> CatalogStore:
    return request.app.ctx.catalog


async def current_catalog(request: Request) -> Catalog:
    """The catalog with the latest confirmations (checked now, off the event loop)."""
    return await review_of(request).run(catalog_store(request).get, True)


def schedule(review: ReviewContext, catalog: Catalog) -> list[ReviewDue]:
    settings = review.settings
    return review_schedule(
        catalog,
        today_in_sweden(),
        settings.content_review_months,
        settings.content_review_warn_days,
    )


def _row_json(due: ReviewDue, confirmation: content_reviews.Confirmation | None) -> dict[str, Any]:
    d = due.declaration
    return {
        "id": d.id,
        "name": d.name,
        "kind": d.kind,
        "responsible_board": d.responsible_board,
        "owner": d.owner,
        "reviewed": d.reviewed.isoformat(),
        "reviewed_approximate": d.reviewed_approximate,
        "next_review": due.next_review.isoformat(),
        "due": due.state,
        "state": PUBLISHED,
        "confirmed_by": confirmation.confirmed_by if confirmation else None,
        "confirmed_at": confirmation.confirmed_at if confirmation else None,
    }


async def _rows(request: Request) -> list[tuple[ReviewDue, content_reviews.Confirmation | None]]:
    review = review_of(request)
    catalog = await current_catalog(request)
    confirmations = await review.run(content_reviews.latest_confirmations, review.engine)
    by_name = sorted(schedule(review, catalog), key=lambda due: due.declaration.name.lower())
    return [(due, confirmations.get(due.declaration.id)) for due in by_name]


@staff()
async def content_page(request: Request) -> HTTPResponse:
    review = review_of(request)
    return review.page(
        request,
        "content.html",
        {
            "rows": await _rows(request),
            "settings": review.settings,
            "message": request.args.get("meddelande", ""),
            "confirmed": request.args.get("tjanst", ""),
            "version": catalog_store(request).version,
        },
    )


@staff()
async def content_api(request: Request) -> HTTPResponse:
    rows = await _rows(request)
    return json(
        {
            "version": catalog_store(request).version,
            "services": [_row_json(due, c) for due, c in rows],
        }
    )


@staff(admin=True)
async def confirm(request: Request, service_id: str) -> HTTPResponse:
    """ "Uppgifterna stämmer": the facts are right as they stand; today is their review
    date from now on."""
    review = review_of(request)
    catalog = await current_catalog(request)
    if catalog.get(service_id) is None:
        raise NotFound("no such service")
    day = today_in_sweden()
    await review.run(
        content_reviews.confirm, review.engine, service_id, day, request.ctx.staff.username
    )
    await review.audit(request, audit.CONFIRM_CONTENT, service_id, {"reviewed": day.isoformat()})
    await review.run(catalog_store(request).get, True)  # this process shows it at once
    return see_other(f"/granska/innehall?meddelande=content_confirmed&tjanst={service_id}")


ROUTES: list[Route] = [
    ("GET", "/innehall", content_page),
    ("GET", "/api/innehall", content_api),
    ("POST", "/innehall/<service_id:str>/stammer", confirm),
]
