"""The JSON API the widget talks to (mounted under /api).

| route                   | does                                                          |
|-------------------------|---------------------------------------------------------------|
| GET    /api/health      | 200 when the web app runs (Rasa not checked)                  |
| GET    /api/texts       | the widget's UI text (Swedish, and by language) and limits    |
| POST   /api/chat        | {token?, message} -> {token, sender, turn, lang, message_lang,|
|                         | messages}                                                     |
| GET    /api/conversation| the transcript and ratings, to restore the widget (token)     |
|   ?format=text          | the citizen's own copy as a text file, masked as stored       |
| DELETE /api/conversation| deletes the conversation and its ratings (token)              |
| POST   /api/feedback    | {token, turn, rating: up/down} -> 201                         |
| GET    /api/report/services, POST /api/cases | reports of broken promises (api/cases.py)     |
| *      /api/conversation/<anything> | 410: the id no longer goes in the URL             |

A conversation is a sender id that this app makes (32 random hex characters) and a
token signed with the app's secret that is its only key (bot/web/api/tokens.py); there
are no accounts. Without a token, /api/chat starts a new conversation; a made-up token
is refused (403), and so is a client's own `sender` (400). The reading and deleting
routes take the token in the `X-Conversation-Token` header (never in the URL, which
proxies log), feedback in the JSON body or that header.

Limits per client address (behind a proxy set SANIC_PROXIES_COUNT so that is the
citizen's address, not the proxy's): every message, new conversations, and reads,
deletions and ratings, each in its own sliding window; plus messages per conversation.
A message that starts with `/` (Rasa's intent syntax) is only passed on when it is a
payload of the bot's own buttons (bot/core/payloads.py). Database work runs in worker
threads, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json, text
from sqlalchemy.exc import SQLAlchemyError

from bot.core.cases import MAX_DESCRIPTION_CHARS
from bot.core.clock import now_in_sweden
from bot.core.message_language import SWEDISH
from bot.core.payloads import button_payload, is_payload
from bot.core.texts import load_texts
from bot.store import conversations, feedback
from bot.web.api.copy import conversation_text
from bot.web.api.models import ChatRequest, FeedbackRequest, header_sender, json_object
from bot.web.api.rasa import RasaUnavailable, send_message
from bot.web.api.rate_limit import RateLimiter
from bot.web.errors import ApiError

logger = logging.getLogger(__name__)

Route = tuple[str, str, Callable[..., Awaitable[HTTPResponse]]]  # method, path, handler


def _address(request: Request) -> str:
    # Behind a reverse proxy, set SANIC_PROXIES_COUNT so this is the citizen's address.
    return request.remote_addr or request.ip


def _count(limiter: RateLimiter, key: str, what: str) -> None:
    retry_after = limiter.retry_after(key)
    if retry_after is not None:
        logger.info("%s rate limited for %d s", what, retry_after)
        raise ApiError("rate_limited", 429, retry_after=retry_after)


def _checked_message(request: Request, message: str) -> str:
    """The message as Rasa gets it: words as written, or a button's payload re-spelt."""
    if not is_payload(message):
        return message
    ctx = request.app.ctx
    payload = button_payload(message, ctx.catalog.get(), load_texts().intent_labels)
    if payload is None:
        raise ApiError("command_not_allowed", 422)
    return payload


async def health(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


async def texts(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    return json(
        {
            "texts": ctx.texts.widget,
            "report": ctx.texts.report,
            # the widget's own texts in each language it switches to (data/web_texts.yml)
            "texts_by_language": {"sv": ctx.texts.widget, "en": ctx.texts.widget_en},
            "limits": {
                "max_message_chars": ctx.config.max_message_chars,
                "max_description_chars": MAX_DESCRIPTION_CHARS,
                "timeout_seconds": ctx.config.widget_timeout_seconds,
            },
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


async def chat(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    incoming = ChatRequest.parse(json_object(request), ctx.config.max_message_chars)
    address = _address(request)
    _count(ctx.address_messages, address, "address (messages)")
    if incoming.token is None:
        _count(ctx.new_conversations, address, "address (new conversations)")
        conversation = ctx.tokens.new_conversation()
        sender, token = conversation.sender, conversation.token
    else:
        sender = ctx.tokens.sender_of(incoming.token)
        if sender is None:
            raise ApiError("invalid_token", 403)
        token = incoming.token
    _count(ctx.limiter, sender, f"sender={sender}")
    message = _checked_message(request, incoming.message)
    message_id = uuid.uuid4().hex  # Rasa stores it with this message: our turn's key
    try:
        messages = await send_message(
            ctx.http,
            ctx.config.rasa_url,
            sender,
            message,
            ctx.config.rasa_timeout_seconds,
            message_id=message_id,
        )
    except RasaUnavailable as exc:
        logger.error("sender=%s no answer: %s", sender, exc)
        raise ApiError("unavailable", 503) from exc
    try:
        # The turn of THIS message, not the count of user messages now: another message of
        # the same conversation may already be stored after it. None (no thumbs) when
        # Rasa has not stored it yet (its fault reply went out before the turn ended).
        stored = await asyncio.to_thread(
            conversations.turn_and_language, ctx.config.tracker_db_url, sender, message_id
        )
    except SQLAlchemyError as exc:  # the answer still goes out, without thumbs
        logger.error("sender=%s tracker store not readable: %s", sender, exc)
        stored = conversations.Turn(None, None, SWEDISH)
    turn = stored.number
    logger.info("sender=%s turn=%s answered with %d messages", sender, turn, len(messages))
    return json(
        {
            "token": token,
            "sender": sender,
            "turn": turn,
            # the language of the answer's bubbles and of the citizen's message (lang="…")
            "lang": stored.answer_language,
            "message_lang": stored.message_language,
            "messages": messages,
        }
    )


def _reader(request: Request) -> str:
    """The conversation of the request's token, counted against the address's reads."""
    ctx = request.app.ctx
    _count(ctx.address_reads, _address(request), "address (reads)")
    return header_sender(request, ctx.tokens)


async def conversation(request: Request) -> HTTPResponse:
    sender = _reader(request)
    db_url = request.app.ctx.config.tracker_db_url
    lines = await asyncio.to_thread(conversations.transcript, db_url, sender)
    if request.args.get("format") == "text":
        widget = request.app.ctx.texts.widget
        logger.info("sender=%s saved a copy (%d lines)", sender, len(lines))
        return text(
            conversation_text(lines, widget, now_in_sweden()),
            content_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{widget["copy_filename"]}"'},
        )
    rated = await asyncio.to_thread(feedback.ratings, db_url, sender)
    return json(
        {
            "sender": sender,
            "messages": [line.as_json() for line in lines],
            "ratings": {str(turn): rating for turn, rating in rated.items()},
        }
    )


async def delete_conversation(request: Request) -> HTTPResponse:
    sender = _reader(request)
    db_url = request.app.ctx.config.tracker_db_url
    deleted = await asyncio.to_thread(conversations.delete_conversation, db_url, sender)
    logger.info("sender=%s deleted on request", sender)
    return json(
        {"sender": sender, "deleted": {"events": deleted.events, "feedback": deleted.feedback}}
    )


async def rate(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    _count(ctx.address_reads, _address(request), "address (ratings)")
    rating = FeedbackRequest.parse(json_object(request), request, ctx.tokens)
    db_url = ctx.config.tracker_db_url
    rated = await asyncio.to_thread(conversations.answer, db_url, rating.sender, rating.turn)
    if rated is None:
        raise ApiError("unknown_answer", 404)
    await asyncio.to_thread(feedback.save_rating, db_url, rating.sender, rated, rating.rating)
    logger.info("sender=%s turn=%d rated %s", rating.sender, rating.turn, rating.rating)
    return json({"turn": rating.turn, "rating": rating.rating}, status=201)


async def moved(request: Request, old: str) -> HTTPResponse:
    """The old routes with the conversation id in the path: gone, so no id is logged."""
    raise ApiError("gone", 410)


ROUTES: list[Route] = [
    ("GET", "/health", health),
    ("GET", "/texts", texts),
    ("POST", "/chat", chat),
    ("GET", "/conversation", conversation),
    ("DELETE", "/conversation", delete_conversation),
    ("POST", "/feedback", rate),
    ("GET", "/conversation/<old:path>", moved),
    ("DELETE", "/conversation/<old:path>", moved),
]


def _all_routes() -> list[Route]:
    from bot.web.api import cases  # imports this module's limits

    return ROUTES + cases.ROUTES


def api_blueprint() -> Blueprint:
    """The ROUTES under /api, each named after its handler (`api.chat`, ...)."""
    bp = Blueprint("api", url_prefix="/api")
    # The shorthands, not bp.add_route: in Sanic 21.12 only they make GET and DELETE
    # routes ignore a request body.
    register: dict[str, Callable[[str], Callable[..., object]]] = {
        "GET": bp.get,
        "POST": bp.post,
        "DELETE": bp.delete,
    }
    for method, uri, handler in _all_routes():
        register[method](uri)(handler)
    return bp
