"""The dashboard: a period's figures per day, as a page with charts and as JSON."""

from __future__ import annotations

from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot.core.catalog import default_store
from bot.core.translations import missing_translations
from bot.review import charts, stats
from bot.review.filters import Filters
from bot.review.security import staff
from bot.review.views import Route, review_of
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
    return review.page(
        request,
        "dashboard.html",
        {
            "d": board,
            "charts": charts,
            "services": review.choices.services,
            "missing_english": missing_translations(default_store().get()),
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
