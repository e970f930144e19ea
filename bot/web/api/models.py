"""What the API accepts: JSON bodies checked field by field, each refusal an ApiError.

Checks run in the order a citizen's browser could fail them: content type, UTF-8,
JSON, an object, then each field's type and value.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sanic.request import Request

from bot.store.feedback import RATINGS
from bot.web.api.tokens import ConversationTokens
from bot.web.errors import ApiError

# Where the reading and deleting routes take the conversation token: a header, never the
# URL, so it stays out of proxy and access logs.
TOKEN_HEADER = "X-Conversation-Token"
# C0/C1 control characters other than tab and newlines: never meaningful in a question,
# and PostgreSQL cannot store NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def token_sender(tokens: ConversationTokens, token: Any) -> str:
    """The conversation a token opens; 401 without one, 403 for one we did not sign."""
    if token is None or token == "":
        raise ApiError("missing_token", 401)
    sender = tokens.sender_of(token)
    if sender is None:
        raise ApiError("invalid_token", 403)
    return sender


def header_sender(request: Request, tokens: ConversationTokens) -> str:
    return token_sender(tokens, request.headers.get(TOKEN_HEADER))


def json_object(request: Request) -> dict[str, Any]:
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError("wrong_content_type", 415)
    try:
        text = (request.body or b"").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError("invalid_encoding", 400) from exc
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested thousands deep
        raise ApiError("invalid_json", 400) from exc
    if not isinstance(body, dict):
        raise ApiError("invalid_request", 400)
    return body


def _clean_text(value: str) -> str:
    text = unicodedata.normalize("NFC", _CONTROL.sub("", value)).strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate from a "\ud800" JSON escape
        raise ApiError("invalid_encoding", 400) from exc
    return text


@dataclass(frozen=True)
class ChatRequest:
    token: str | None  # None: a new conversation
    message: str

    @classmethod
    def parse(cls, body: dict[str, Any], max_chars: int) -> ChatRequest:
        if "sender" in body:  # ids are made by the server only
            raise ApiError("sender_not_accepted", 400)
        token = body.get("token")
        if token is not None and not isinstance(token, str):
            raise ApiError("invalid_token", 403)
        message = body.get("message")
        if not isinstance(message, str):
            raise ApiError("invalid_request", 400)
        message = _clean_text(message)
        if not message:
            raise ApiError("empty_message", 422)
        if len(message) > max_chars:
            raise ApiError("message_too_long", 422)
        return cls(token=token or None, message=message)


@dataclass(frozen=True)
class FeedbackRequest:
    sender: str
    turn: int
    rating: str

    @classmethod
    def parse(
        cls, body: dict[str, Any], request: Request, tokens: ConversationTokens
    ) -> FeedbackRequest:
        """The token in the JSON body, or else in the header."""
        sender = token_sender(tokens, body.get("token") or request.headers.get(TOKEN_HEADER))
        turn = body.get("turn")
        rating = body.get("rating")
        if isinstance(turn, bool) or not isinstance(turn, int) or not 1 <= turn <= 100_000:
            raise ApiError("invalid_request", 400)
        if rating not in RATINGS:
            raise ApiError("invalid_request", 400)
        return cls(sender=sender, turn=turn, rating=rating)
