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
| GET      /granska/export/samtal.csv          | admin    | the filtered list as CSV (audited)    |
| GET/POST /granska/admin/anvandare[/ta-bort]  | admin    | staff accounts                        |
| GET      /granska/admin/installningar        | admin    | retention setting and purge log       |
| GET      /granska/admin/logg                 | admin    | audit log                             |
| GET      /granska/api/...                    | reviewer | the same as JSON (401 if no session)  |

Handlers parse input, check nothing but the request shape (roles and CSRF are in
`security.staff`), call the data access modules in worker threads (off the event loop)
and render a template. All user text reaches the page through Jinja2's autoescaping.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sanic import Blueprint, Sanic
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse, html, json, redirect
from sqlalchemy.engine import Engine

from bot.core.catalog import default_store
from bot.review import accounts, audit, charts, queries, reviews, stats
from bot.review.filters import Filters
from bot.review.nlu_export import (
    domain_intents,
    nlu_yaml,
    tests_yaml,
    training_texts,
)
from bot.review.reviews import AnnotationError
from bot.review.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    LOGIN_PATH,
    SESSION_COOKIE,
    clear_cookie,
    new_login_csrf,
    safe_next,
    set_cookie,
    set_session_cookie,
    staff,
    tokens_match,
)
from bot.review.settings import ReviewSettings
from bot.review.tables import CONFIRMED, DISMISSED, create_tables, engine_for, ensure_event_indexes
from bot.review.views.rendering import (
    STATIC_DIR,
    csv_safe,
    dashboard_json,
    inbox_json,
    list_json,
    template_environment,
    transcript_json,
    transcript_url,
    when,
)
from bot.review.views.rendering import csv_safe as _csv_safe  # noqa: F401 - tests import it
from bot.store.retention import read_purge_log, retention_days

logger = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
MAX_CSV_CONVERSATIONS = 100_000
WARM_UP_DELAY = 5.0  # seconds after start before the dashboard is first counted
T = TypeVar("T")


# --- per-app state ----------------------------------------------------------------------------


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
    indexes = ensure_event_indexes(engine) if settings.create_indexes else []
    context = ReviewContext(
        engine, settings, stats.DashboardCache(settings.dashboard_cache_seconds), indexes
    )
    app.ctx.review = context
    return context


def review_of(request: Request) -> ReviewContext:
    """The review tool's state on the app serving this request (made by `setup`)."""
    return request.app.ctx.review


def _ip(request: Request) -> str:
    return request.remote_addr or request.ip or "?"


def _page_number(request: Request) -> int:
    try:
        return max(1, min(int(request.args.get("sida", "1")), 100_000))
    except ValueError:
        return 1


def _form(request: Request, name: str) -> str:
    return ((request.form or {}).get(name) or "").strip()


def _see_other(location: str) -> HTTPResponse:
    return redirect(location, status=303)


# --- the blueprint -------------------------------------------------------------------------------


def review_blueprint() -> Blueprint:
    bp = Blueprint("review", url_prefix="/granska")
    bp.static("/static", str(STATIC_DIR), name="static")

    @bp.listener("before_server_start")
    async def start(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        context = await asyncio.to_thread(setup, app)
        logger.info(
            "Review tool on /granska (indexes on events: %s)",
            ", ".join(context.indexes) or "not created",
        )

    @bp.listener("after_server_start")
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

    @bp.listener("before_server_stop")
    async def stop_warming(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        review = getattr(app.ctx, "review", None)
        if review is not None and review.warmer is not None:
            review.warmer.cancel()
            review.warmer = None

    @bp.middleware("response")
    async def headers(request: Request, response: HTTPResponse) -> None:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        if not request.path.startswith("/granska/static/"):
            response.headers["Cache-Control"] = "no-store"

    @bp.exception(Exception)
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

    # --- login / logout --------------------------------------------------------------------------

    def login_page(
        request: Request,
        *,
        error: str | None = None,
        status: int = 200,
        username: str = "",
        wait_minutes: int = 0,
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
                "wait_minutes": wait_minutes,
            },
            status=status,
        )
        set_cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
        return response

    def _form_or_none(request: Request, name: str) -> str | None:
        if request.method != "POST":
            return None
        return _form(request, name) or None

    @bp.get("/logga-in")
    async def login_form(request: Request) -> HTTPResponse:
        return login_page(request)

    @bp.post("/logga-in")
    async def login(request: Request) -> HTTPResponse:
        review = review_of(request)
        if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), _form(request, CSRF_FIELD)):
            return review.page(request, "error.html", {"code": "csrf"}, status=403)
        username = _form(request, "username").lower()[:64]
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
                wait_minutes=max(1, (wait + 59) // 60),
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
        response = _see_other(safe_next(_form(request, "next")))
        set_session_cookie(request, response, token)
        clear_cookie(request, response, LOGIN_CSRF_COOKIE)
        return response

    @bp.post("/logga-ut")
    @staff()
    async def logout(request: Request) -> HTTPResponse:
        review = review_of(request)
        await review.run(accounts.end_session, review.engine, request.cookies.get(SESSION_COOKIE))
        await review.audit(request, audit.LOGOUT)
        response = _see_other(LOGIN_PATH)
        clear_cookie(request, response, SESSION_COOKIE)
        return response

    # --- conversation list ------------------------------------------------------------------------

    async def _list_page(request: Request) -> tuple[Filters, queries.Page]:
        """The filters asked for and the page of conversations they select."""
        review = review_of(request)
        filters = Filters.parse(request.args)
        page = await review.run(queries.list_page, review.engine, filters, _page_number(request))
        return filters, page

    @bp.get("/")
    @staff()
    async def conversation_list(request: Request) -> HTTPResponse:
        review = review_of(request)
        filters, page = await _list_page(request)
        tag_choices = await review.run(reviews.all_tags, review.engine)
        has_feedback = await review.run(queries.feedback_exists, review.engine)
        return review.page(
            request,
            "list.html",
            {
                "filters": filters,
                "page": page,
                "tags": tag_choices,
                "has_feedback": has_feedback,
                "query": filters.query(),
            },
        )

    @bp.get("/api/samtal")
    @staff()
    async def conversation_list_api(request: Request) -> HTTPResponse:
        filters, page = await _list_page(request)
        return json(list_json(filters, page))

    # --- one conversation -------------------------------------------------------------------------

    async def _open_transcript(
        request: Request, sender_id: str, detail: dict[str, Any] | None = None
    ) -> queries.Transcript | None:
        """The conversation, audited as opened; None if there is no such conversation."""
        review = review_of(request)
        found = await review.run(queries.transcript, review.engine, sender_id)
        if found is not None:
            await review.audit(request, audit.OPEN_CONVERSATION, sender_id, detail)
        return found

    @bp.get("/samtal/<sender_id:str>")
    @staff()
    async def conversation(request: Request, sender_id: str) -> HTTPResponse:
        review = review_of(request)
        found = await _open_transcript(request, sender_id)
        if found is None:
            return review.page(request, "error.html", {"code": "no_conversation"}, status=404)
        return review.page(
            request,
            "transcript.html",
            {
                "t": found,
                "message": request.args.get("meddelande", ""),
                "error": request.args.get("fel", ""),
                "threshold": review.settings.confidence_threshold,
            },
        )

    @bp.get("/api/samtal/<sender_id:str>")
    @staff()
    async def conversation_api(request: Request, sender_id: str) -> HTTPResponse:
        found = await _open_transcript(request, sender_id, {"via": "api"})
        if found is None:
            return json({"error": "not_found"}, status=404)
        return json(transcript_json(found))

    @bp.post("/samtal/<sender_id:str>/tagg")
    @staff()
    async def add_tag(request: Request, sender_id: str) -> HTTPResponse:
        review = review_of(request)
        if not await review.run(queries.conversation_exists, review.engine, sender_id):
            return review.page(request, "error.html", {"code": "no_conversation"}, status=404)
        try:
            tag = await review.run(
                reviews.add_tag,
                review.engine,
                sender_id,
                _form(request, "tag"),
                request.ctx.staff.username,
            )
        except AnnotationError as exc:
            return _see_other(f"{transcript_url(sender_id)}?fel={exc.code}")
        await review.audit(request, audit.ADD_TAG, sender_id, {"tag": tag})
        return _see_other(transcript_url(sender_id, "tag_added"))

    @bp.post("/samtal/<sender_id:str>/tagg/ta-bort")
    @staff()
    async def remove_tag(request: Request, sender_id: str) -> HTTPResponse:
        review = review_of(request)
        tag = _form(request, "tag")
        if await review.run(reviews.remove_tag, review.engine, sender_id, tag):
            await review.audit(request, audit.REMOVE_TAG, sender_id, {"tag": tag})
        return _see_other(transcript_url(sender_id, "tag_removed"))

    @bp.post("/samtal/<sender_id:str>/anteckning")
    @staff()
    async def add_note(request: Request, sender_id: str) -> HTTPResponse:
        review = review_of(request)
        found = await review.run(queries.transcript, review.engine, sender_id)
        if found is None:
            return review.page(request, "error.html", {"code": "no_conversation"}, status=404)
        event_id = None
        raw_event = _form(request, "event_id")
        if raw_event:
            if not raw_event.isdigit() or int(raw_event) not in {
                line.event_id for line in found.lines
            }:
                return _see_other(f"{transcript_url(sender_id)}?fel=bad_message")
            event_id = int(raw_event)
        try:
            await review.run(
                reviews.add_note,
                review.engine,
                sender_id,
                _form(request, "text"),
                request.ctx.staff.username,
                event_id,
            )
        except AnnotationError as exc:
            return _see_other(f"{transcript_url(sender_id)}?fel={exc.code}")
        await review.audit(request, audit.ADD_NOTE, sender_id, {"event_id": event_id})
        return _see_other(transcript_url(sender_id, "note_added"))

    @bp.post("/samtal/<sender_id:str>/granskad")
    @staff()
    async def mark_reviewed(request: Request, sender_id: str) -> HTTPResponse:
        review = review_of(request)
        if not await review.run(queries.conversation_exists, review.engine, sender_id):
            return review.page(request, "error.html", {"code": "no_conversation"}, status=404)
        reviewed = _form(request, "granskad") != "nej"
        await review.run(
            reviews.set_reviewed, review.engine, sender_id, request.ctx.staff.username, reviewed
        )
        await review.audit(
            request, audit.MARK_REVIEWED if reviewed else audit.UNMARK_REVIEWED, sender_id
        )
        return _see_other(transcript_url(sender_id, "reviewed" if reviewed else "unreviewed"))

    # --- NLU inbox ------------------------------------------------------------------------------

    async def _inbox_page(request: Request) -> tuple[int, list[queries.InboxItem], bool]:
        """The page number asked for, that page of the NLU inbox, and whether one follows."""
        review = review_of(request)
        number = _page_number(request)
        items, has_next = await review.run(
            queries.inbox, review.engine, review.settings.confidence_threshold, number
        )
        return number, items, has_next

    @bp.get("/nlu")
    @staff()
    async def nlu_inbox(request: Request) -> HTTPResponse:
        review = review_of(request)
        number, items, has_next = await _inbox_page(request)
        recent = await review.run(reviews.recent_verdicts, review.engine)
        return review.page(
            request,
            "nlu.html",
            {
                "items": items,
                "has_next": has_next,
                "number": number,
                "recent": recent,
                "threshold": review.settings.confidence_threshold,
                "message": request.args.get("meddelande", ""),
                "error": request.args.get("fel", ""),
            },
        )

    @bp.get("/api/nlu")
    @staff()
    async def nlu_inbox_api(request: Request) -> HTTPResponse:
        _, items, has_next = await _inbox_page(request)
        return json(inbox_json(items, has_next))

    @bp.post("/nlu/<event_id:int>")
    @staff()
    async def nlu_verdict(request: Request, event_id: int) -> HTTPResponse:
        review = review_of(request)
        found = await review.run(queries.user_message, review.engine, event_id)
        if found is None:
            return review.page(request, "error.html", {"code": "no_message"}, status=404)
        sender_id, said = found
        status = DISMISSED if _form(request, "beslut") == "avfarda" else CONFIRMED
        text = _form(request, "text") or said.text
        try:
            verdict = await review.run(
                reviews.decide,
                review.engine,
                event_id=event_id,
                sender_id=sender_id,
                text=text,
                predicted_intent=said.best_guess,
                predicted_confidence=said.confidence,
                status=status,
                intent=_form(request, "intent") or None,
                service=_form(request, "service") or None,
                username=request.ctx.staff.username,
                intents=review.choices.intents,
                services=list(review.choices.services),
            )
        except AnnotationError as exc:
            back = _form(request, "tillbaka")
            if back == "samtal":
                return _see_other(f"{transcript_url(sender_id)}?fel={exc.code}")
            return _see_other(f"/granska/nlu?fel={exc.code}")
        await review.audit(
            request,
            audit.NLU_VERDICT,
            sender_id,
            {
                "event_id": event_id,
                "status": verdict.status,
                "intent": verdict.intent,
                "service": verdict.service,
            },
        )
        if _form(request, "tillbaka") == "samtal":
            return _see_other(transcript_url(sender_id, "verdict_saved"))
        return _see_other("/granska/nlu?meddelande=verdict_saved")

    @bp.get("/nlu/export/<kind:str>")
    @staff()
    async def nlu_export(request: Request, kind: str) -> HTTPResponse:
        review = review_of(request)
        verdicts = await review.run(reviews.confirmed, review.engine)
        username = request.ctx.staff.username
        if kind == "traningsdata.yml":
            known = await review.run(training_texts)
            export = nlu_yaml(verdicts, review.choices.intents, known, username)
            action = audit.EXPORT_NLU
        elif kind == "tester.yml":
            export = await review.run(
                tests_yaml,
                verdicts,
                review.choices.intents,
                list(review.choices.services),
                username,
            )
            action = audit.EXPORT_TESTS
        else:
            return review.page(request, "error.html", {"code": "not_found"}, status=404)
        await review.audit(request, action, kind, {"examples": export.examples})
        stamp = date.today().isoformat()
        name = f"granskade-{kind.replace('.yml', '')}-{stamp}.yml"
        return HTTPResponse(
            export.text,
            content_type="application/x-yaml; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # --- dashboard -------------------------------------------------------------------------------

    async def _dashboard(request: Request) -> stats.Dashboard:
        review = review_of(request)
        filters = Filters.parse(request.args)
        start, end = stats.period(filters.date_from, filters.date_to)
        return await review.run(review.dashboards.dashboard, review.engine, start, end)

    @bp.get("/oversikt")
    @staff()
    async def dashboard(request: Request) -> HTTPResponse:
        review = review_of(request)
        board = await _dashboard(request)
        return review.page(
            request,
            "dashboard.html",
            {"d": board, "charts": charts, "services": review.choices.services},
        )

    @bp.get("/api/oversikt")
    @staff()
    async def dashboard_api(request: Request) -> HTTPResponse:
        board = await _dashboard(request)
        return json(dashboard_json(board))

    # --- admin ---------------------------------------------------------------------------------

    @bp.get("/export/samtal.csv")
    @staff(admin=True)
    async def export_csv(request: Request) -> HTTPResponse:
        review = review_of(request)
        filters = Filters.parse(request.args)
        messages = request.args.get("innehall") == "meddelanden"
        text, count = await review.run(_csv, review.engine, filters, messages)
        await review.audit(
            request,
            audit.EXPORT_CSV,
            "meddelanden" if messages else "samtal",
            {"filters": filters.as_dict(), "conversations": count},
        )
        name = f"samtal-{'meddelanden-' if messages else ''}{date.today().isoformat()}.csv"
        return HTTPResponse(
            text,
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @bp.get("/admin/anvandare")
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

    @bp.post("/admin/anvandare")
    @staff(admin=True)
    async def add_user(request: Request) -> HTTPResponse:
        review = review_of(request)
        username = _form(request, "username").lower()
        role = _form(request, "role")
        try:
            await review.run(
                accounts.add_user,
                review.engine,
                username,
                role,
                (request.form or {}).get("password") or "",
            )
        except accounts.AccountError:
            return _see_other("/granska/admin/anvandare?fel=bad_user")
        await review.audit(request, audit.ADD_USER, username, {"role": role})
        return _see_other("/granska/admin/anvandare?meddelande=user_added")

    @bp.post("/admin/anvandare/ta-bort")
    @staff(admin=True)
    async def remove_user(request: Request) -> HTTPResponse:
        review = review_of(request)
        username = _form(request, "username")
        if username == request.ctx.staff.username:
            return _see_other("/granska/admin/anvandare?fel=remove_self")
        if await review.run(accounts.remove_user, review.engine, username):
            await review.audit(request, audit.REMOVE_USER, username)
        return _see_other("/granska/admin/anvandare?meddelande=user_removed")

    @bp.get("/admin/installningar")
    @staff(admin=True)
    async def settings_page(request: Request) -> HTTPResponse:
        review = review_of(request)
        try:
            days: int | None = retention_days()
        except ValueError:
            days = None
        purges = (await review.run(read_purge_log, request.app.ctx.config.tracker_db_url))[-20:]
        return review.page(
            request,
            "settings.html",
            {
                "retention_days": days,
                "purges": list(reversed(purges)),
                "settings": review.settings,
                "indexes": review.indexes,
            },
        )

    @bp.get("/admin/logg")
    @staff(admin=True)
    async def audit_page(request: Request) -> HTTPResponse:
        review = review_of(request)
        number = _page_number(request)
        who = request.args.get("vem") or None
        entries, has_next = await review.run(audit.entries, review.engine, number, who)
        return review.page(
            request,
            "audit.html",
            {"entries": entries, "has_next": has_next, "number": number, "who": who or ""},
        )

    return bp


def _csv(engine: Engine, filters: Filters, messages: bool) -> tuple[str, int]:
    """The filtered conversations as CSV: one row per conversation, or per message."""
    senders = queries.matching_senders(engine, filters, limit=MAX_CSV_CONVERSATIONS)
    out = io.StringIO()
    writer = csv.writer(out)
    if messages:
        writer.writerow(
            ["sender_id", "event_id", "tid", "roll", "text", "intent", "konfidens", "tjanster"]
        )
        for row in queries.transcript_rows(engine, senders):
            writer.writerow(
                [
                    row["sender_id"],
                    row["event_id"],
                    when(row["timestamp"]),
                    row["role"],
                    csv_safe(row["text"]),
                    row["intent"],
                    "" if row["confidence"] is None else f"{row['confidence']:.3f}",
                    row["services"],
                ]
            )
    else:
        writer.writerow(
            [
                "sender_id",
                "start",
                "senast",
                "meddelanden",
                "forsta_meddelande",
                "intents",
                "tjanster",
                "lagsta_konfidens",
                "fallback",
                "handoff",
                "tumme_upp",
                "tumme_ner",
                "granskad",
                "taggar",
            ]
        )
        for start in range(0, len(senders), 500):
            for row in queries.conversation_rows(engine, senders[start : start + 500]):
                writer.writerow(
                    [
                        row.sender_id,
                        when(row.started),
                        when(row.last),
                        row.user_messages,
                        csv_safe(row.first_text),
                        " ".join(row.intents),
                        " ".join(row.services),
                        "" if row.lowest_confidence is None else f"{row.lowest_confidence:.3f}",
                        "ja" if row.fallback else "nej",
                        "ja" if row.handoff else "nej",
                        row.thumbs_up,
                        row.thumbs_down,
                        "ja" if row.reviewed else "nej",
                        " ".join(row.tags),
                    ]
                )
    return out.getvalue(), len(senders)
