"""Conversations: the filtered list, one transcript (audited), tags, notes, the
reviewed mark, and the list as CSV for admins (audited)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.engine import Engine

from bot.review import audit, queries, reviews
from bot.review.filters import Filters
from bot.review.reviews import AnnotationError
from bot.review.security import staff
from bot.review.views import Route, form_value, page_number, review_of, see_other
from bot.review.views.rendering import (
    FormulaSafeWriter,
    list_json,
    transcript_json,
    transcript_url,
    when,
)
from bot.store.holds import hold_of

MAX_CSV_CONVERSATIONS = 100_000


async def _list_page(request: Request) -> tuple[Filters, queries.Page]:
    """The filters asked for and the page of conversations they select."""
    review = review_of(request)
    filters = Filters.parse(request.args)
    page = await review.run(queries.list_page, review.engine, filters, page_number(request))
    return filters, page


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


@staff()
async def conversation_list_api(request: Request) -> HTTPResponse:
    filters, page = await _list_page(request)
    return json(list_json(filters, page))


async def _open_transcript(
    request: Request, sender_id: str, detail: dict[str, Any] | None = None
) -> queries.Transcript | None:
    """The conversation, audited as opened; None if there is no such conversation."""
    review = review_of(request)
    found = await review.run(queries.transcript, review.engine, sender_id)
    if found is not None:
        await review.audit(request, audit.OPEN_CONVERSATION, sender_id, detail)
    return found


@staff()
async def conversation(request: Request, sender_id: str) -> HTTPResponse:
    review = review_of(request)
    found = await _open_transcript(request, sender_id)
    if found is None:
        return review.page(request, "error.html", {"code": "no_conversation"}, status=404)
    held = await review.run(hold_of, review.engine, sender_id)
    return review.page(
        request,
        "transcript.html",
        {
            "t": found,
            "hold": held,
            "message": request.args.get("meddelande", ""),
            "error": request.args.get("fel", ""),
            "threshold": review.settings.confidence_threshold,
        },
    )


@staff()
async def conversation_api(request: Request, sender_id: str) -> HTTPResponse:
    found = await _open_transcript(request, sender_id, {"via": "api"})
    if found is None:
        return json({"error": "not_found"}, status=404)
    return json(transcript_json(found))


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
            form_value(request, "tag"),
            request.ctx.staff.username,
        )
    except AnnotationError as exc:
        return see_other(f"{transcript_url(sender_id)}?fel={exc.code}")
    await review.audit(request, audit.ADD_TAG, sender_id, {"tag": tag})
    return see_other(transcript_url(sender_id, "tag_added"))


@staff()
async def remove_tag(request: Request, sender_id: str) -> HTTPResponse:
    review = review_of(request)
    tag = form_value(request, "tag")
    if await review.run(reviews.remove_tag, review.engine, sender_id, tag):
        await review.audit(request, audit.REMOVE_TAG, sender_id, {"tag": tag})
    return see_other(transcript_url(sender_id, "tag_removed"))


@staff()
async def add_note(request: Request, sender_id: str) -> HTTPResponse:
    review = review_of(request)
    found = await review.run(queries.transcript, review.engine, sender_id)
    if found is None:
        return review.page(request, "error.html", {"code": "no_conversation"}, status=404)
    event_id = None
    raw_event = form_value(request, "event_id")
    if raw_event:
        if not raw_event.isdigit() or int(raw_event) not in {line.event_id for line in found.lines}:
            return see_other(f"{transcript_url(sender_id)}?fel=bad_message")
        event_id = int(raw_event)
    try:
        await review.run(
            reviews.add_note,
            review.engine,
            sender_id,
            form_value(request, "text"),
            request.ctx.staff.username,
            event_id,
        )
    except AnnotationError as exc:
        return see_other(f"{transcript_url(sender_id)}?fel={exc.code}")
    await review.audit(request, audit.ADD_NOTE, sender_id, {"event_id": event_id})
    return see_other(transcript_url(sender_id, "note_added"))


@staff()
async def mark_reviewed(request: Request, sender_id: str) -> HTTPResponse:
    review = review_of(request)
    if not await review.run(queries.conversation_exists, review.engine, sender_id):
        return review.page(request, "error.html", {"code": "no_conversation"}, status=404)
    reviewed = form_value(request, "granskad") != "nej"
    await review.run(
        reviews.set_reviewed, review.engine, sender_id, request.ctx.staff.username, reviewed
    )
    await review.audit(
        request, audit.MARK_REVIEWED if reviewed else audit.UNMARK_REVIEWED, sender_id
    )
    return see_other(transcript_url(sender_id, "reviewed" if reviewed else "unreviewed"))


@staff(admin=True)
async def export_csv(request: Request) -> HTTPResponse:
    review = review_of(request)
    filters = Filters.parse(request.args)
    if filters.problems:  # without the filter it would export more than was asked for
        return review.page(request, "error.html", {"code": "bad_filter"}, status=400)
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


def _csv(engine: Engine, filters: Filters, messages: bool) -> tuple[str, int]:
    """The filtered conversations as CSV: one row per conversation, or per message."""
    senders = queries.matching_senders(engine, filters, limit=MAX_CSV_CONVERSATIONS)
    out = io.StringIO()
    writer = FormulaSafeWriter(out)
    if messages:
        writer.writerow(
            ["sender_id", "event_id", "tid", "roll", "text", "intent", "konfidens", "tjanster"]
        )
        for message in queries.transcript_rows(engine, senders):
            writer.writerow(
                [
                    message["sender_id"],
                    message["event_id"],
                    when(message["timestamp"]),
                    message["role"],
                    message["text"],
                    message["intent"],
                    "" if message["confidence"] is None else f"{message['confidence']:.3f}",
                    message["services"],
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
                        row.first_text,
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


ROUTES: list[Route] = [
    ("GET", "/", conversation_list),
    ("GET", "/api/samtal", conversation_list_api),
    ("GET", "/samtal/<sender_id:str>", conversation),
    ("GET", "/api/samtal/<sender_id:str>", conversation_api),
    ("POST", "/samtal/<sender_id:str>/tagg", add_tag),
    ("POST", "/samtal/<sender_id:str>/tagg/ta-bort", remove_tag),
    ("POST", "/samtal/<sender_id:str>/anteckning", add_note),
    ("POST", "/samtal/<sender_id:str>/granskad", mark_reviewed),
    ("GET", "/export/samtal.csv", export_csv),
]
