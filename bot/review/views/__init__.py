"""The `review` feature: the support staff's review tool under /granska (Swedish UI).

| route                                        | who      | does                                  |
|----------------------------------------------|----------|---------------------------------------|
| GET/POST /granska/logga-in                   | anyone   | login form; 5 failures / 15 min → 429 |
| POST     /granska/logga-ut                   | staff    | logout                                |
| GET      /granska/                           | reviewer | conversation list with filters        |
| GET      /granska/samtal/<id>                | reviewer | transcript (audited)                  |
| POST     /granska/samtal/<id>/tagg[/ta-bort] | reviewer | add / remove a tag                    |
| POST     /granska/samtal/<id>/anteckning     | reviewer | add a note (to a message or all)      |
| POST     /granska/samtal/<id>/granskad       | reviewer | mark reviewed or not                  |
| GET      /granska/nlu                        | reviewer | NLU inbox                             |
| POST     /granska/nlu/<event id>             | reviewer | confirm / correct / dismiss           |
| GET      /granska/nlu/export/<kind>.yml      | reviewer | training data or test cases (audited) |
| GET      /granska/oversikt                   | reviewer | dashboard                             |
| GET      /granska/innehall                   | reviewer | every service, its review dates, state|
| POST     /granska/innehall/<id>/stammer      | admin    | "Uppgifterna stämmer" (audited)       |
| GET      /granska/innehall/versioner[/<n>]   | reviewer | published versions; what n changed    |
| POST     /granska/innehall/versioner/<n>/aterstall | admin | publish version n again (audited) |
| GET/POST /granska/innehall/<id>/redigera    | redaktör | edit as a draft (views/content_edit.py)|
| GET/POST /granska/innehall/<id>/utkast[/..]  | redaktör | preview, send; approve/reject: admin  |
| GET      /granska/export/samtal.csv          | admin    | the filtered list as CSV (audited)    |
| GET      /granska/utlamnande[/samtal/<id>]   | admin    | records out: JSON/CSV/page (audited)  |
| POST     /granska/samtal/<id>/bevara[/hav]   | admin    | hold / release for the purge (audited)|
| GET/POST /granska/admin/anvandare[/ta-bort]  | admin    | staff accounts                        |
| GET      /granska/admin/installningar        | admin    | retention setting and purge log       |
| GET      /granska/admin/logg                 | admin    | audit log                             |
| GET/POST /granska/arenden[/...]              | staff    | citizens' cases (views/cases.py)      |
| GET      /granska/api/...                    | reviewer | the same as JSON (401 if no session)  |

Handlers parse input, check nothing but the request shape (roles and CSRF are in
`security.staff`), call the data access modules in worker threads (off the event loop)
and render a template. All user text reaches the page through Jinja2's autoescaping.

One module per feature, each with the handlers and a `ROUTES` table of its blueprint:
`auth` (log in/out), `conversations` (list, transcript, tags, notes, marks, CSV), `nlu`
(inbox, verdicts, exports), `dashboard`, `content` (the catalog's review dates),
`content_edit` (drafts with four eyes), `admin`
and `records` (utlämnande, holds); `rendering` holds the templates' environment and the
JSON shapes. This module holds the per-app state (`ReviewContext`, `review_of`), the
request helpers, the start/stop listeners, the headers and error pages every feature
shares, and groups the blueprints under /granska (`review_blueprint`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sanic import Blueprint, Sanic
from sanic.blueprint_group import BlueprintGroup
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, html, json, redirect
from sqlalchemy.engine import Engine

from bot.core.catalog import default_store
from bot.review import audit, stats
from bot.review.nlu_export import domain_intents
from bot.review.settings import ReviewSettings
from bot.review.tables import create_tables, engine_for, ensure_event_indexes
from bot.review.views.rendering import STATIC_DIR, template_environment
from bot.review.views.rendering import csv_safe as _csv_safe  # noqa: F401 - tests import it
from bot.store.content_drafts import create_content_draft_tables
from bot.store.content_reviews import create_content_tables

logger = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
WARM_UP_DELAY = 5.0  # seconds after start before the dashboard is first counted
T = TypeVar("T")
Route = tuple[str, str, Callable[..., Coroutine[Any, Any, HTTPResponse]]]  # method, path, handler


# --- per-app state and request helpers ---------------------------------------------------


@dataclass
class Choices:
    """What the NLU inbox offers: the domain's intents and the catalog's services."""

    intents: list[str]
    services: dict[str, str]  # id -> name


def current_choices() -> Choices:
    """From the running catalog (re-read when its files change) and domain.yml."""
    catalog = default_store().get()
    return Choices(domain_intents(), {d.id: d.name for d in catalog.sorted_by_name()})


@dataclass
class ReviewContext:
    engine: Engine
    settings: ReviewSettings
    dashboards: stats.DashboardCache
    indexes: list[str] = field(default_factory=list)
    warmer: asyncio.Task | None = None

    @property
    def choices(self) -> Choices:
        return current_choices()

    def page(
        self, request: Request, template: str, values: dict[str, Any], status: int = 200
    ) -> HTTPResponse:
        session = getattr(request.ctx, "staff", None)
        body = (
            template_environment()
            .get_template(template)
            .render(
                staff=session,
                csrf_token=session.csrf_token if session else "",
                path=request.path,
                choices=self.choices,
                **values,
            )
        )
        return html(body, status=status)

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(function, *args, **kwargs)

    async def audit(
        self,
        request: Request,
        action: str,
        target: str | None = None,
        detail: dict[str, Any] | str | None = None,
    ) -> None:
        await self.run(audit.log, self.engine, request.ctx.staff.username, action, target, detail)


def setup(app: Sanic) -> ReviewContext:
    """Create our tables (and indexes on `events`) and put the context on the app."""
    settings = ReviewSettings.from_env()
    engine = engine_for(app.ctx.config.tracker_db_url)
    create_tables(engine)
    create_content_tables(engine)
    create_content_draft_tables(engine)
    indexes = ensure_event_indexes(engine) if settings.create_indexes else []
    context = ReviewContext(
        engine, settings, stats.DashboardCache(settings.dashboard_cache_seconds), indexes
    )
    app.ctx.review = context
    return context


def review_of(request: Request) -> ReviewContext:
    """The review tool's state on the app serving this request (made by `setup`)."""
    return request.app.ctx.review


def page_number(request: Request) -> int:
    try:
        return max(1, min(int(request.args.get("sida", "1")), 100_000))
    except ValueError:
        return 1


def form_value(request: Request, name: str) -> str:
    return ((request.form or {}).get(name) or "").strip()


def see_other(location: str) -> HTTPResponse:
    return redirect(location, status=303)


# --- server start and stop ----------------------------------------------------------------------


async def start(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
    context = await asyncio.to_thread(setup, app)
    logger.info(
        "Review tool on /granska (indexes on events: %s)",
        ", ".join(context.indexes) or "not created",
    )


async def keep_dashboard_warm(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
    """Count the default dashboard period in the background now and then, so staff
    rarely wait for days to be counted (only for other periods)."""
    review: ReviewContext = app.ctx.review
    seconds = review.settings.dashboard_cache_seconds
    if seconds <= 0:
        return

    async def refresh() -> None:
        await asyncio.sleep(WARM_UP_DELAY)
        while True:
            try:
                await asyncio.to_thread(
                    review.dashboards.dashboard, review.engine, *stats.period(None, None)
                )
            except Exception:  # noqa: BLE001 - try again next time
                logger.exception("Counting the dashboard in the background failed")
            await asyncio.sleep(max(60.0, seconds / 2))

    review.warmer = loop.create_task(refresh())


async def stop_warming(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
    review = getattr(app.ctx, "review", None)
    if review is not None and review.warmer is not None:
        review.warmer.cancel()
        review.warmer = None


# --- every response -------------------------------------------------------------------------------


async def headers(request: Request, response: HTTPResponse) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    if not request.path.startswith("/granska/static/"):
        response.headers["Cache-Control"] = "no-store"


async def failed(request: Request, exc: Exception) -> HTTPResponse:
    status = getattr(exc, "status_code", 500) if isinstance(exc, SanicException) else 500
    if status >= 500:
        logger.exception("%s %s failed", request.method, request.path)
    if request.path.startswith("/granska/api/"):
        return json({"error": "not_found" if status == 404 else "failed"}, status=status)
    review = getattr(request.app.ctx, "review", None)
    code = "not_found" if status == 404 else "failed"
    if review is None:
        return html("<!DOCTYPE html><title>Fel</title><p>Ett fel uppstod.</p>", status=status)
    return review.page(request, "error.html", {"code": code}, status=status)


# --- the blueprint group -------------------------------------------------------------------------


def _feature(name: str, routes: list[Route]) -> Blueprint:
    bp = Blueprint(f"review_{name}")
    for method, uri, handler in routes:
        # Text parameters unquoted: a sender id is whatever a channel stored ("a+b", "a<b>",
        # a newline, a slash); its links are percent-encoded (rendering.transcript_url),
        # the handler gets the id itself. (Sanic 21.12 cannot unquote an int parameter.)
        bp.add_route(handler, uri, methods=[method], unquote=":str>" in uri)
    return bp


def review_blueprint() -> BlueprintGroup:
    """One blueprint per feature (plus the static files and the start/stop listeners),
    grouped under /granska; every response gets our headers and error pages."""
    # Imported here: the feature modules import ReviewContext and the helpers above.
    from bot.review.views import (
        admin,
        auth,
        cases,
        content,
        content_edit,
        conversations,
        dashboard,
        nlu,
        records,
    )

    base = Blueprint("review")
    base.static("/static", str(STATIC_DIR), name="static")
    base.listener("before_server_start")(start)
    base.listener("after_server_start")(keep_dashboard_warm)
    base.listener("before_server_stop")(stop_warming)
    base.listener("after_server_start")(cases.retry_forwarding)
    base.listener("before_server_stop")(cases.stop_forwarding)
    group = Blueprint.group(
        base,
        _feature("auth", auth.ROUTES),
        _feature("conversations", conversations.ROUTES),
        _feature("nlu", nlu.ROUTES),
        _feature("dashboard", dashboard.ROUTES),
        _feature("content", content.ROUTES),
        _feature("content_edit", content_edit.ROUTES),
        _feature("admin", admin.ROUTES),
        _feature("cases", cases.ROUTES),
        _feature("records", records.ROUTES),
        url_prefix="/granska",
    )
    group.on_response(headers)
    group.exception(Exception)(failed)
    return group
