"""Content ("Innehåll"): every service in the catalog with its kind, responsible nämnd,
owner, review dates and state, and "Uppgifterna stämmer": an admin confirms that a
declaration is still right without changing it, which sets its review date (audited).
The published versions (bot/store/content_catalog.py): who published which, when, what
changed (a diff of the files), and rollback to any of them in one action (admin, audited).

The confirmation is kept in the tracker database (bot/store/content_reviews.py); every
web app and action server follows it within their catalog check interval, so the bot's
answers carry the new date and drop the "reviewed more than a year ago" warning.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot.core.catalog import Catalog, CatalogError, CatalogStore
from bot.core.clock import today_in_sweden
from bot.core.review_schedule import ReviewDue, review_schedule
from bot.review import audit
from bot.review.security import staff
from bot.review.views import ReviewContext, Route, form_value, review_of, see_other
from bot.store import content_catalog as published
from bot.store import content_drafts, content_reviews

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


def state_of(draft: content_drafts.Draft | None) -> str:
    """The service's state in the list: published, or its open draft's (draft, waiting)."""
    return draft.state if draft is not None else PUBLISHED


async def open_drafts(request: Request) -> dict[str, content_drafts.Draft]:
    review = review_of(request)
    await review.run(content_drafts.create_content_draft_tables, review.engine)
    return await review.run(content_drafts.open_drafts, review.engine)


def _row_json(
    due: ReviewDue,
    confirmation: content_reviews.Confirmation | None,
    draft: content_drafts.Draft | None = None,
) -> dict[str, Any]:
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
        "state": state_of(draft),
        "needs_training": bool(draft and draft.needs_training),
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
            "drafts": await open_drafts(request),
            "settings": review.settings,
            "training": request.args.get("traning", "") == "1",
            "message": request.args.get("meddelande", ""),
            "confirmed": request.args.get("tjanst", ""),
            "version": catalog_store(request).version,
        },
    )


@staff()
async def content_api(request: Request) -> HTTPResponse:
    rows = await _rows(request)
    drafts = await open_drafts(request)
    return json(
        {
            "version": catalog_store(request).version,
            "services": [_row_json(due, c, drafts.get(due.declaration.id)) for due, c in rows],
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


@staff()
async def versions_page(request: Request) -> HTTPResponse:
    """Every published version: who, when, how; each with its changes; rollback."""
    review = review_of(request)
    versions = await review.run(published.history, review.engine)
    return review.page(
        request,
        "versions.html",
        {
            "versions": versions,
            "current": versions[0].version if versions else None,
            "message": request.args.get("meddelande", ""),
            "error": request.args.get("fel", ""),
            "conflict": request.args.get("av", ""),
        },
    )


@staff()
async def version_page(request: Request, version: int) -> HTTPResponse:
    """What version `version` changed, against the version before it."""
    review = review_of(request)
    info = await review.run(published.version_info, review.engine, version)
    if info is None:
        raise NotFound("no such version")
    previous = version - 1
    changes = await review.run(published.diff, review.engine, previous, version) if previous else ""
    return review.page(
        request, "version.html", {"info": info, "previous": previous, "changes": changes}
    )


@staff(admin=True)
async def roll_back(request: Request, version: int) -> HTTPResponse:
    """Publish `version`'s texts again as a new version, on top of the version the admin
    saw (`current` in the form): if someone published since, nothing happens and the page
    says who."""
    review = review_of(request)
    try:
        seen: int | None = int(form_value(request, "current"))
    except ValueError:
        seen = None
    try:
        new = await review.run(
            published.rollback, review.engine, version, request.ctx.staff.username, seen
        )
    except KeyError:
        raise NotFound("no such version") from None
    except published.PublishConflict as exc:
        who = exc.current.published_by
        return see_other(
            f"/granska/innehall/versioner?fel=content_conflict&{urlencode({'av': who})}"
        )
    except CatalogError:
        return see_other("/granska/innehall/versioner?fel=content_invalid")
    await review.audit(request, audit.ROLLBACK_CONTENT, f"version {new}", {"to": version})
    await review.run(catalog_store(request).get, True)  # this process shows it at once
    return see_other("/granska/innehall/versioner?meddelande=content_rolled_back")


ROUTES: list[Route] = [
    ("GET", "/innehall", content_page),
    ("GET", "/api/innehall", content_api),
    ("POST", "/innehall/<service_id:str>/stammer", confirm),
    ("GET", "/innehall/versioner", versions_page),
    ("GET", "/innehall/versioner/<version:int>", version_page),
    ("POST", "/innehall/versioner/<version:int>/aterstall", roll_back),
]
