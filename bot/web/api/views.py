"""The JSON API the widget talks to (mounted under /api).

| route                               | does                                              |
|-------------------------------------|---------------------------------------------------|
| GET    /api/health                  | 200 when the web app runs (Rasa not checked)      |
| GET    /api/texts                   | the widget's Swedish UI text and limits           |
| POST   /api/chat                    | {sender?, message} -> {sender, turn, messages}    |
| GET    /api/conversation/<sender>   | the transcript and ratings, to restore the widget |
| DELETE /api/conversation/<sender>   | deletes the conversation and its ratings          |
| POST   /api/feedback                | {sender, turn, rating: up/down} -> 201            |

A conversation is known only by its sender id (random, 32 hex characters when we make
it); there are no accounts. Database work runs in worker threads, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json
from sqlalchemy.exc import SQLAlchemyError

from bot.store import conversations, feedback
from bot.web.api.models import ChatRequest, FeedbackRequest, json_object, valid_sender
from bot.web.api.rasa import RasaUnavailable, send_message
from bot.web.errors import ApiError

logger = logging.getLogger(__name__)

Route = tuple[str, str, Callable[..., Awaitable[HTTPResponse]]]  # method, path, handler


async def health(request: Request) -> HTTPResponse:
    return json({"status": "ok"})


async def texts(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    return json(
        {
            "texts": ctx.texts.widget,
            "limits": {"max_message_chars": ctx.config.max_message_chars},
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


async def chat(request: Request) -> HTTPResponse:
    ctx = request.app.ctx
    incoming = ChatRequest.parse(json_object(request), ctx.config.max_message_chars)
    retry_after = ctx.limiter.retry_after(incoming.sender)
    if retry_after is None and incoming.new_conversation:
        # Behind a reverse proxy, set SANIC_PROXIES_COUNT so this is the citizen's address.
        retry_after = ctx.new_conversations.retry_after(request.remote_addr or request.ip)
    if retry_after is not None:
        logger.info("sender=%s rate limited for %d s", incoming.sender, retry_after)
        raise ApiError("rate_limited", 429, retry_after=retry_after)
    message_id = uuid.uuid4().hex  # Rasa stores it with this message: our turn's key
    try:
        messages = await send_message(
            ctx.http,
            ctx.config.rasa_url,
            incoming.sender,
            incoming.message,
            ctx.config.rasa_timeout_seconds,
            message_id=message_id,
        )
    except RasaUnavailable as exc:
        logger.error("sender=%s no answer: %s", incoming.sender, exc)
        raise ApiError("unavailable", 503) from exc
    try:
        # The turn of THIS message, not the count of user messages now: another message of
        # the same conversation may already be stored after it. None (no thumbs) when
        # Rasa has not stored it yet (its fault reply went out before the turn ended).
        turn = await asyncio.to_thread(
            conversations.turn_of_message, ctx.config.tracker_db_url, incoming.sender, message_id
        )
    except SQLAlchemyError as exc:  # the answer still goes out, without thumbs
        logger.error("sender=%s tracker store not readable: %s", incoming.sender, exc)
        turn = None
    logger.info("sender=%s turn=%s answered with %d messages", incoming.sender, turn, len(messages))
    return json({"sender": incoming.sender, "turn": turn, "messages": messages})


async def conversation(request: Request, sender: str) -> HTTPResponse:
    sender = valid_sender(sender)
    db_url = request.app.ctx.config.tracker_db_url
    lines = await asyncio.to_thread(conversations.transcript, db_url, sender)
    rated = await asyncio.to_thread(feedback.ratings, db_url, sender)
    return json(
        {
            "sender": sender,
            "messages": [line.as_json() for line in lines],
            "ratings": {str(turn): rating for turn, rating in rated.items()},
        }
    )


async def delete_conversation(request: Request, sender: str) -> HTTPResponse:
    sender = valid_sender(sender)
    db_url = request.app.ctx.config.tracker_db_url
    deleted = await asyncio.to_thread(conversations.delete_conversation, db_url, sender)
    logger.info("sender=%s deleted on request", sender)
    return json(
        {"sender": sender, "deleted": {"events": deleted.events, "feedback": deleted.feedback}}
    )


async def rate(request: Request) -> HTTPResponse:
    rating = FeedbackRequest.parse(json_object(request))
    db_url = request.app.ctx.config.tracker_db_url
    rated = await asyncio.to_thread(conversations.answer, db_url, rating.sender, rating.turn)
    if rated is None:
        raise ApiError("unknown_answer", 404)
    await asyncio.to_thread(feedback.save_rating, db_url, rating.sender, rated, rating.rating)
    logger.info("sender=%s turn=%d rated %s", rating.sender, rating.turn, rating.rating)
    return json({"sender": rating.sender, "turn": rating.turn, "rating": rating.rating}, status=201)


ROUTES: list[Route] = [
    ("GET", "/health", health),
    ("GET", "/texts", texts),
    ("POST", "/chat", chat),
    ("GET", "/conversation/<sender:str>", conversation),
    ("DELETE", "/conversation/<sender:str>", delete_conversation),
    ("POST", "/feedback", rate),
]


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
    for method, uri, handler in ROUTES:
        register[method](uri)(handler)
    return bp
