"""The citizen's side of cases: report a broken promise from the widget (under /api).

| route                    | does                                                         |
|--------------------------|--------------------------------------------------------------|
| GET  /api/report/services| the services and promises a report may name (the catalog)    |
| POST /api/cases          | {token, service, promise, description, wants_reply, contact?} |
|                          | -> 201 {number, service, promise, wants_reply}                |

The report goes to this app, never through Rasa: the contact details (only when the
citizen wants a reply) are stored in the case row alone, never in the tracker's events,
and no log line holds them or the description (bot/store/cases.py logs the number). The
description is masked with the same code as every chat message (bot/core/cases.py). A
report belongs to a conversation (its token) and one conversation may report several
times. Refusals are ApiErrors whose codes select the Swedish text in data/web_texts.yml;
a database that does not answer is 503 `case_unavailable` and nothing is stored.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse, json

from bot.core.cases import CaseError, Contact, check_report
from bot.store import cases as case_store
from bot.web.api.models import json_object, token_sender
from bot.web.api.views import _address, _count  # the chat's limits count reports too
from bot.web.errors import ApiError

logger = logging.getLogger(__name__)

# The refusal when the database does not answer (the citizen's input was fine).
CASE_UNAVAILABLE = "case_unavailable"


def _text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError("invalid_request", 400)
    return value


def _contact(body: dict[str, Any]) -> Contact | None:
    raw = body.get("contact")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ApiError("invalid_request", 400)
    return Contact(
        name=_text_field(raw, "name"),
        email=_text_field(raw, "email"),
        phone=_text_field(raw, "phone"),
    )


async def report_services(request: Request) -> HTTPResponse:
    """What the report form offers: each declaration with published promises."""
    catalog = request.app.ctx.catalog.get()
    services = [
        {
            "id": declaration.id,
            "name": declaration.name,
            "promises": [{"id": p.id, "text": p.text} for p in declaration.promises],
        }
        for declaration in catalog.sorted_by_name()
        if declaration.text_available and declaration.promises
    ]
    return json({"services": services}, headers={"Cache-Control": "public, max-age=300"})


async def report_case(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    body = json_object(request)
    _count(ctx.address_messages, _address(request), "address (case reports)")
    sender = token_sender(ctx.tokens, body.get("token"))
    _count(ctx.limiter, sender, f"sender={sender} (case reports)")
    wants_reply = body.get("wants_reply")
    if not isinstance(wants_reply, bool):
        raise ApiError("invalid_request", 400)
    try:
        report = check_report(
            ctx.catalog.get(),
            service_id=_text_field(body, "service"),
            promise_id=_text_field(body, "promise"),
            description=_text_field(body, "description"),
            wants_reply=wants_reply,
            contact=_contact(body),
            sender_id=sender,
        )
    except CaseError as refused:
        raise ApiError(refused.code, 422) from None  # the message holds nothing citizen-written
    try:
        stored = await asyncio.to_thread(
            case_store.register_case, ctx.config.tracker_db_url, report
        )
    except case_store.CaseStoreUnavailable as exc:
        logger.error("sender=%s case not stored: the database did not answer", sender)
        raise ApiError(CASE_UNAVAILABLE, 503) from exc
    logger.info("sender=%s reported case %s", sender, stored.number)
    return json(
        {
            "number": stored.number,
            "service": stored.service_id,
            "promise": stored.promise_id,
            "wants_reply": stored.wants_reply,
            "masked": list(stored.masked_kinds),
        },
        status=201,
    )


ROUTES = [
    ("GET", "/report/services", report_services),
    ("POST", "/cases", report_case),
]
