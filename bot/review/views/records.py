"""Records (*allmänna handlingar*), for admins: hand out one conversation or a date range
(*utlämnande*) as JSON, CSV or a printable page, and put a conversation on hold
(*bevaras*) so the purge keeps it, or release it. Every export, hold and release is in
the audit log; a reviewer gets 403.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.review import audit, queries, records
from bot.review.filters import Filters
from bot.review.security import staff
from bot.review.views import Route, form_value, review_of, see_other
from bot.review.views.rendering import transcript_url
from bot.store.holds import HoldError, hold, release

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


def _error(request: Request, code: str, status: int = 400) -> HTTPResponse:
    return review_of(request).page(request, "error.html", {"code": code}, status=status)


async def _answer(
    request: Request, sender_ids: list[str], scope: dict[str, str], name: str
) -> HTTPResponse:
    review = review_of(request)
    fmt = request.args.get("format", "html")
    if fmt not in records.FORMATS:
        return _error(request, "bad_format")
    found = await review.run(
        records.collect,
        review.engine,
        sender_ids,
        request.ctx.staff.username,
        scope,
        datetime.now(timezone.utc),
    )
    await review.audit(
        request,
        audit.EXPORT_RECORDS,
        scope.get("sender_id") or f"{scope.get('fran')}..{scope.get('till')}",
        {"format": fmt, "conversations": len(found.conversations), **scope},
    )
    if fmt == "html":
        return review.page(request, "records.html", {"records": found})
    body = found.as_json() if fmt == "json" else found.as_csv()
    return HTTPResponse(
        body,
        content_type=CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@staff(admin=True)
async def export_conversation(request: Request, sender_id: str) -> HTTPResponse:
    review = review_of(request)
    if not await review.run(queries.conversation_exists, review.engine, sender_id):
        return _error(request, "no_conversation", 404)
    return await _answer(request, [sender_id], {"sender_id": sender_id}, "utlamnande-samtal")


@staff(admin=True)
async def export_period(request: Request) -> HTTPResponse:
    """Every conversation with a message in [fran, till] (Swedish dates, both included);
    without either, the form that asks for them."""
    review = review_of(request)
    if "fran" not in request.args and "till" not in request.args:
        return review.page(request, "records_form.html", {})
    filters = Filters.parse({k: request.args.get(k) for k in ("fran", "till") if k in request.args})
    if filters.problems or filters.date_from is None or filters.date_to is None:
        return _error(request, "bad_period")
    senders = await review.run(
        queries.matching_senders, review.engine, filters, limit=records.MAX_CONVERSATIONS + 1
    )
    if len(senders) > records.MAX_CONVERSATIONS:
        return _error(request, "too_many")
    scope = {"fran": filters.date_from.isoformat(), "till": filters.date_to.isoformat()}
    name = f"utlamnande-{scope['fran']}-{scope['till']}"
    return await _answer(request, sorted(senders), scope, name)


@staff(admin=True)
async def hold_conversation(request: Request, sender_id: str) -> HTTPResponse:
    review = review_of(request)
    if not await review.run(queries.conversation_exists, review.engine, sender_id):
        return _error(request, "no_conversation", 404)
    try:
        held = await review.run(
            hold,
            review.engine,
            sender_id,
            form_value(request, "reason"),
            request.ctx.staff.username,
        )
    except HoldError as exc:
        return see_other(f"{transcript_url(sender_id)}?fel={exc.code}")
    await review.audit(request, audit.HOLD_CONVERSATION, sender_id, {"reason": held.reason})
    return see_other(transcript_url(sender_id, "held"))


@staff(admin=True)
async def release_conversation(request: Request, sender_id: str) -> HTTPResponse:
    review = review_of(request)
    if await review.run(release, review.engine, sender_id):
        await review.audit(request, audit.RELEASE_HOLD, sender_id)
    return see_other(transcript_url(sender_id, "released"))


ROUTES: list[Route] = [
    ("GET", "/utlamnande", export_period),
    ("GET", "/utlamnande/samtal/<sender_id:str>", export_conversation),
    ("POST", "/samtal/<sender_id:str>/bevara", hold_conversation),
    ("POST", "/samtal/<sender_id:str>/bevara/hav", release_conversation),
]
