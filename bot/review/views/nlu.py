"""The NLU inbox: unsure or thumbed-down user messages, a verdict on each, and the
confirmed verdicts exported as training data or test cases (audited)."""

from __future__ import annotations

from datetime import date

from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot.review import audit, queries, reviews
from bot.review.nlu_export import nlu_yaml, tests_yaml, training_texts
from bot.review.reviews import AnnotationError
from bot.review.security import staff
from bot.review.tables import CONFIRMED, DISMISSED
from bot.review.views import Route, form_value, page_number, review_of, see_other
from bot.review.views.rendering import inbox_json, transcript_url

MAX_EVENT_ID = 2**63 - 1  # the largest id a database row can have (BIGINT, SQLite INTEGER)


async def _inbox_page(request: Request) -> tuple[int, list[queries.InboxItem], bool]:
    """The page number asked for, that page of the NLU inbox, and whether one follows."""
    review = review_of(request)
    number = page_number(request)
    items, has_next = await review.run(
        queries.inbox, review.engine, review.settings.confidence_threshold, number
    )
    return number, items, has_next


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


@staff()
async def nlu_inbox_api(request: Request) -> HTTPResponse:
    _, items, has_next = await _inbox_page(request)
    return json(inbox_json(items, has_next))


@staff()
async def nlu_verdict(request: Request, event_id: int) -> HTTPResponse:
    review = review_of(request)
    if not 0 < event_id <= MAX_EVENT_ID:  # the database could not even compare it (a 500)
        return review.page(request, "error.html", {"code": "bad_message"}, status=400)
    found = await review.run(queries.user_message, review.engine, event_id)
    if found is None:
        return review.page(request, "error.html", {"code": "no_message"}, status=404)
    sender_id, said = found
    status = DISMISSED if form_value(request, "beslut") == "avfarda" else CONFIRMED
    text = form_value(request, "text") or said.text
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
            intent=form_value(request, "intent") or None,
            service=form_value(request, "service") or None,
            username=request.ctx.staff.username,
            intents=review.choices.intents,
            services=list(review.choices.services),
        )
    except AnnotationError as exc:
        back = form_value(request, "tillbaka")
        if back == "samtal":
            return see_other(f"{transcript_url(sender_id)}?fel={exc.code}")
        return see_other(f"/granska/nlu?fel={exc.code}")
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
    if form_value(request, "tillbaka") == "samtal":
        return see_other(transcript_url(sender_id, "verdict_saved"))
    return see_other("/granska/nlu?meddelande=verdict_saved")


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


ROUTES: list[Route] = [
    ("GET", "/nlu", nlu_inbox),
    ("GET", "/api/nlu", nlu_inbox_api),
    ("POST", "/nlu/<event_id:int>", nlu_verdict),
    ("GET", "/nlu/export/<kind:str>", nlu_export),
]
