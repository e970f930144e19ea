"""Ärenden: the cases citizens reported from the chat (a broken promise).

| route                                      | who         | does                             |
|--------------------------------------------|-------------|----------------------------------|
| GET  /granska/arenden                      | staff       | list with filters                |
| GET  /granska/arenden/<number>             | staff       | one case (audited); contact      |
|                                            |             | details only with case access    |
| POST /granska/arenden/<number>/anteckning  | case access | add a note                       |
| POST /granska/arenden/<number>/status      | case access | ny → vidarebefordrad → avslutad  |
| POST /granska/arenden/<number>/vidarebefordra | case access | e-mail it to its board now    |
| POST /granska/arenden/<number>/bevara[/hav] | case access | hold / release for the purge   |
| GET  /granska/arenden/export.csv|.json      | case access | the filtered list for the        |
|                                            |             | registrator (audited)            |

Case access is the roles in `accounts.CASE_ROLES` (ärendehandläggare, administratör);
a reviewer sees the list and the masked descriptions, never contact details. Every POST
carries the session's CSRF token (`security.staff`), every change is in the audit log
(which names the case number, never contact details), and every value reaches the page
through Jinja2's autoescaping. Forwarding (bot/review/forwarding.py) is retried in the
background by `retry_forwarding`, started with the review tool. A case on hold
(*bevaras*, bot/store/holds.py) is kept by the case purge (CASE_RETENTION_DAYS) until it
is released; holding and releasing are for case access, like every other change to a case.
"""

from __future__ import annotations

import asyncio
import io
import json as json_module
import logging
from datetime import date
from functools import lru_cache
from typing import Any

import jinja2
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, raw

from bot.core.cases import STATES, CaseError, check_state_change, parse_case_number
from bot.core.catalog import default_store
from bot.review import audit, forwarding
from bot.review.security import staff
from bot.review.views import Route, form_value, page_number, review_of, see_other
from bot.review.views.rendering import TEMPLATE_DIR, FormulaSafeWriter
from bot.store import cases as case_store
from bot.store.holds import HoldError, all_case_holds, case_hold_of, hold_case, release_case

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
BASE = "/granska/arenden"


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filter(request: Request) -> tuple[case_store.CaseFilter, dict[str, str]]:
    """The list's filter from the query string; unknown values are ignored, not errors."""
    args = {
        key: (request.args.get(key) or "").strip()
        for key in ("tjanst", "lofte", "status", "fran", "till", "ej_vidarebefordrade")
    }
    catalog = default_store().get()
    declaration = catalog.get(args["tjanst"]) if args["tjanst"] else None
    promise_ids = [p.id for d in catalog.sorted_by_name() for p in d.promises]
    chosen = case_store.CaseFilter(
        service_id=declaration.id if declaration else None,
        promise_id=args["lofte"] if args["lofte"] in promise_ids else None,
        state=args["status"] if args["status"] in STATES else None,
        date_from=_date(args["fran"]),
        date_to=_date(args["till"]),
        not_forwarded_only=args["ej_vidarebefordrade"] == "ja",
    )
    return chosen, args


def _names() -> tuple[dict[str, str], dict[tuple[str, str], str], dict[str, str | None]]:
    """Service names, promise texts by (service, promise), and each service's board."""
    catalog = default_store().get()
    services = {d.id: d.name for d in catalog.sorted_by_name()}
    promises = {(d.id, p.id): p.text for d in catalog.sorted_by_name() for p in d.promises}
    boards = {d.id: d.responsible_board for d in catalog.sorted_by_name()}
    return services, promises, boards


def _case_number(number: str) -> str | None:
    return number.upper() if parse_case_number(number) else None


def _may_handle(request: Request) -> bool:
    return bool(request.ctx.staff.has_case_access)


def _forbidden(request: Request) -> HTTPResponse:
    return review_of(request).page(request, "error.html", {"code": "no_case_access"}, status=403)


@staff()
async def case_list(request: Request) -> HTTPResponse:
    review = review_of(request)
    db_url = request.app.ctx.config.tracker_db_url
    chosen, args = _filter(request)
    number = page_number(request)
    found = await review.run(
        case_store.list_cases, db_url, chosen, PAGE_SIZE + 1, (number - 1) * PAGE_SIZE
    )
    total = await review.run(case_store.count_cases, db_url, chosen)
    held = await review.run(all_case_holds, review.engine)
    services, promises, _boards = _names()
    return review.page(
        request,
        "cases.html",
        {
            "cases": found[:PAGE_SIZE],
            "held": held,
            "has_next": len(found) > PAGE_SIZE,
            "number": number,
            "total": total,
            "args": args,
            "states": STATES,
            "service_names": services,
            "promise_texts": promises,
            "may_handle": _may_handle(request),
            "smtp": forwarding.SmtpSettings.from_env().configured,
        },
    )


@staff()
async def case_page(request: Request, number: str) -> HTTPResponse:
    review = review_of(request)
    db_url = request.app.ctx.config.tracker_db_url
    wanted = _case_number(number)
    case = await review.run(case_store.find_case, db_url, wanted) if wanted else None
    if case is None:
        return review.page(request, "error.html", {"code": "no_case"}, status=404)
    notes = await review.run(case_store.notes, db_url, case.number)
    held = await review.run(case_hold_of, review.engine, case.number)
    await review.audit(request, audit.OPEN_CASE, case.number)
    services, promises, boards = _names()
    settings = forwarding.SmtpSettings.from_env()
    return review.page(
        request,
        "case.html",
        {
            "case": case,
            "notes": notes,
            "hold": held,
            "service_name": services.get(case.service_id, case.service_id),
            "promise_text": promises.get((case.service_id, case.promise_id), case.promise_id),
            "board": boards.get(case.service_id),
            "may_handle": _may_handle(request),
            "next_states": [s for s in STATES if _allowed(case.state, s)],
            "smtp": settings.configured,
            "message": request.args.get("meddelande", ""),
            "error": request.args.get("fel", ""),
        },
    )


def _allowed(current: str, new: str) -> bool:
    try:
        check_state_change(current, new)
    except CaseError:
        return False
    return True


@staff()
async def add_case_note(request: Request, number: str) -> HTTPResponse:
    if not _may_handle(request):
        return _forbidden(request)
    review = review_of(request)
    wanted = _case_number(number)
    if wanted is None:
        return review.page(request, "error.html", {"code": "no_case"}, status=404)
    try:
        await review.run(
            case_store.add_note,
            request.app.ctx.config.tracker_db_url,
            wanted,
            request.ctx.staff.username,
            form_value(request, "text"),
        )
    except case_store.CaseNotFound:
        return review.page(request, "error.html", {"code": "no_case"}, status=404)
    except ValueError:
        return see_other(f"{BASE}/{wanted}?fel=case_note")
    await review.audit(request, audit.CASE_NOTE, wanted)
    return see_other(f"{BASE}/{wanted}?meddelande=note_added")


@staff()
async def change_case_state(request: Request, number: str) -> HTTPResponse:
    if not _may_handle(request):
        return _forbidden(request)
    review = review_of(request)
    wanted = _case_number(number)
    if wanted is None:
        return review.page(request, "error.html", {"code": "no_case"}, status=404)
    state = form_value(request, "state")
    try:
        await review.run(
            case_store.change_state,
            request.app.ctx.config.tracker_db_url,
            wanted,
            state,
            request.ctx.staff.username,
            form_value(request, "note")[: case_store.MAX_NOTE_CHARS],
        )
    except case_store.CaseNotFound:
        return review.page(request, "error.html", {"code": "no_case"}, status=404)
    except CaseError:
        return see_other(f"{BASE}/{wanted}?fel=case_state")
    await review.audit(request, audit.CASE_STATE, wanted, {"state": state})
    return see_other(f"{BASE}/{wanted}?meddelande=case_state")


@staff()
async def hold_this_case(request: Request, number: str) -> HTTPResponse:
    if not _may_handle(request):
        return _forbidden(request)
    review = review_of(request)
    wanted = _case_number(number)
    db_url = request.app.ctx.config.tracker_db_url
    if wanted is None or await review.run(case_store.find_case, db_url, wanted) is None:
        return review.page(request, "error.html", {"code": "no_case"}, status=404)
    try:
        held = await review.run(
            hold_case,
            review.engine,
            wanted,
            form_value(request, "reason"),
            request.ctx.staff.username,
        )
    except HoldError as exc:
        return see_other(f"{BASE}/{wanted}?fel=case_{exc.code}")
    await review.audit(request, audit.HOLD_CASE, wanted, {"reason": held.reason})
    return see_other(f"{BASE}/{wanted}?meddelande=case_held")


@staff()
async def release_this_case(request: Request, number: str) -> HTTPResponse:
    if not _may_handle(request):
        return _forbidden(request)
    review = review_of(request)
    wanted = _case_number(number)
    if wanted is None:
        return review.page(request, "error.html", {"code": "no_case"}, status=404)
    if await review.run(release_case, review.engine, wanted):
        await review.audit(request, audit.RELEASE_CASE_HOLD, wanted)
    return see_other(f"{BASE}/{wanted}?meddelande=case_released")


@lru_cache(maxsize=1)
def _text_templates() -> jinja2.Environment:
    """Plain-text templates: no HTML escaping (the mail is text/plain)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def email_body(case: case_store.StoredCase) -> str:
    """The forwarded e-mail's text, from the template case_email.txt (plain text)."""
    services, promises, boards = _names()
    template = _text_templates().get_template("case_email.txt")
    return template.render(
        case=case,
        service_name=services.get(case.service_id, case.service_id),
        promise_text=promises.get((case.service_id, case.promise_id), case.promise_id),
        board=boards.get(case.service_id) or "",
    )


@staff()
async def forward_now(request: Request, number: str) -> HTTPResponse:
    if not _may_handle(request):
        return _forbidden(request)
    review = review_of(request)
    wanted = _case_number(number)
    if wanted is None:
        return review.page(request, "error.html", {"code": "no_case"}, status=404)
    settings = forwarding.SmtpSettings.from_env()
    try:
        error = await review.run(
            forwarding.forward_case,
            request.app.ctx.config.tracker_db_url,
            default_store().get(),
            settings,
            wanted,
            email_body,
        )
    except case_store.CaseNotFound:
        return review.page(request, "error.html", {"code": "no_case"}, status=404)
    except forwarding.AlreadyForwarded:
        return see_other(f"{BASE}/{wanted}?meddelande=forwarded")
    except ValueError:
        return see_other(f"{BASE}/{wanted}?fel=no_forwarding")
    await review.audit(request, audit.CASE_FORWARD, wanted, {"sent": error is None})
    if error is not None:
        return see_other(f"{BASE}/{wanted}?fel=forward_failed")
    return see_other(f"{BASE}/{wanted}?meddelande=forwarded")


EXPORT_COLUMNS = (
    "number",
    "created_at",
    "state",
    "service_id",
    "service",
    "board",
    "promise_id",
    "promise",
    "description",
    "wants_reply",
    "contact_name",
    "contact_email",
    "contact_phone",
    "forward_status",
    "forwarded_to",
)


def _export_rows(found: list[case_store.StoredCase]) -> list[dict[str, Any]]:
    services, promises, boards = _names()
    return [
        {
            "number": c.number,
            "created_at": c.created_at.isoformat(timespec="seconds"),
            "state": c.state,
            "service_id": c.service_id,
            "service": services.get(c.service_id, c.service_id),
            "board": boards.get(c.service_id) or "",
            "promise_id": c.promise_id,
            "promise": promises.get((c.service_id, c.promise_id), c.promise_id),
            "description": c.description,
            "wants_reply": c.wants_reply,
            "contact_name": c.contact.name,
            "contact_email": c.contact.email,
            "contact_phone": c.contact.phone,
            "forward_status": c.forward_status,
            "forwarded_to": c.forwarded_to or "",
        }
        for c in found
    ]


@staff()
async def export_csv(request: Request) -> HTTPResponse:
    return await _export(request, "csv")


@staff()
async def export_json(request: Request) -> HTTPResponse:
    return await _export(request, "json")


async def _export(request: Request, kind: str) -> HTTPResponse:
    if not _may_handle(request):
        return _forbidden(request)
    review = review_of(request)
    chosen, args = _filter(request)
    found = await review.run(
        case_store.list_cases, request.app.ctx.config.tracker_db_url, chosen, EXPORT_LIMIT
    )
    rows = _export_rows(found)
    await review.audit(
        request,
        audit.EXPORT_CASES,
        None,
        {"format": kind, "cases": len(rows), "filter": {k: v for k, v in args.items() if v}},
    )
    disposition = {"Content-Disposition": f'attachment; filename="arenden.{kind}"'}
    if kind == "json":
        body = json_module.dumps({"cases": rows}, ensure_ascii=False, indent=2)
        return raw(
            body.encode("utf-8"),
            content_type="application/json; charset=utf-8",
            headers=disposition,
        )
    out = io.StringIO()
    writer = FormulaSafeWriter(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow(
            [("ja" if row[c] else "nej") if c == "wants_reply" else row[c] for c in EXPORT_COLUMNS]
        )
    return raw(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers=disposition,
    )


async def retry_forwarding(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
    """Forward new cases and retry failed ones every CASE_FORWARD_RETRY_SECONDS, while
    SMTP is configured (started with the review tool)."""
    try:
        settings = forwarding.SmtpSettings.from_env()
    except ValueError:
        logger.exception("Case forwarding is off: its settings are wrong")
        return
    if not settings.configured or settings.retry_seconds <= 0:
        return
    db_url = app.ctx.config.tracker_db_url

    async def loop_forever() -> None:
        while True:
            try:
                sent, failed = await asyncio.to_thread(
                    forwarding.retry_pending, db_url, default_store().get(), settings, email_body
                )
                if sent or failed:
                    logger.info("case forwarding: %d sent, %d failed", sent, failed)
            except Exception:  # noqa: BLE001 - try again next time
                logger.exception("Forwarding cases failed")
            await asyncio.sleep(settings.retry_seconds)

    app.ctx.case_forwarder = loop.create_task(loop_forever())


async def stop_forwarding(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
    task = getattr(app.ctx, "case_forwarder", None)
    if task is not None:
        task.cancel()
        app.ctx.case_forwarder = None


ROUTES: list[Route] = [
    ("GET", "/arenden", case_list),
    ("GET", "/arenden/export.csv", export_csv),
    ("GET", "/arenden/export.json", export_json),
    ("GET", "/arenden/<number:str>", case_page),
    ("POST", "/arenden/<number:str>/anteckning", add_case_note),
    ("POST", "/arenden/<number:str>/status", change_case_state),
    ("POST", "/arenden/<number:str>/vidarebefordra", forward_now),
    ("POST", "/arenden/<number:str>/bevara", hold_this_case),
    ("POST", "/arenden/<number:str>/bevara/hav", release_this_case),
]
