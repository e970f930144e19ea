"""The dashboard: a period's figures per day, as a page with charts and as JSON; and the
declarations whose review is overdue or due soon."""

from __future__ import annotations

from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot.core.review_schedule import DUE_SOON, OVERDUE
from bot.core.translations import missing_translations
from bot.review import charts, stats
from bot.review.breaches import breaches
from bot.review.filters import Filters
from bot.review.security import staff
from bot.review.views import Route, review_of
from bot.review.views.content import current_catalog, schedule
from bot.review.views.rendering import dashboard_json


async def _dashboard(request: Request) -> stats.Dashboard:
    review = review_of(request)
    filters = Filters.parse(request.args)
    start, end = stats.period(filters.date_from, filters.date_to)
    return await review.run(review.dashboards.dashboard, review.engine, start, end)


@staff()
async def dashboard(request: Request) -> HTTPResponse:
    review = review_of(request)
    board = await _dashboard(request)
    broken = await review.run(breaches, request.app.ctx.config.tracker_db_url, board)
    catalog = await current_catalog(request)
    promise_texts = {(d.id, p.id): p.text for d in catalog.sorted_by_name() for p in d.promises}
    dues = schedule(review, catalog)
    return review.page(
        request,
        "dashboard.html",
        {
            "d": board,
            "charts": charts,
            "services": review.choices.services,
            "broken": broken,
            "promise_texts": promise_texts,
            "overdue": [due for due in dues if due.state == OVERDUE],
            "due_soon": [due for due in dues if due.state == DUE_SOON],
            "settings": review.settings,
            "missing_english": missing_translations(catalog),
        },
    )


@staff()
async def dashboard_api(request: Request) -> HTTPResponse:
    board = await _dashboard(request)
    return json(dashboard_json(board))


ROUTES: list[Route] = [
    ("GET", "/oversikt", dashboard),
    ("GET", "/api/oversikt", dashboard_api),
]
