"""What the API accepts: JSON bodies checked field by field, each refusal an ApiError.

Checks run in the order a citizen's browser could fail them: content type, UTF-8,
JSON, an object, then each field's type and value.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from sanic.request import Request

from bot.store.feedback import RATINGS
from bot.web.errors import ApiError

# Matched whole (fullmatch): `$` would also accept a trailing newline.
SENDER_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
# C0/C1 control characters other than tab and newlines: never meaningful in a question,
# and PostgreSQL cannot store NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def new_sender() -> str:
    return uuid.uuid4().hex


def valid_sender(value: Any) -> str:
    if not isinstance(value, str) or not SENDER_PATTERN.fullmatch(value):
        raise ApiError("invalid_sender", 400)
    return value


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
    sender: str
    message: str
    new_conversation: bool

    @classmethod
    def parse(cls, body: dict[str, Any], max_chars: int) -> ChatRequest:
        raw_sender = body.get("sender")
        sender = new_sender() if raw_sender is None else valid_sender(raw_sender)
        message = body.get("message")
        if not isinstance(message, str):
            raise ApiError("invalid_request", 400)
        message = _clean_text(message)
        if not message:
            raise ApiError("empty_message", 422)
        if len(message) > max_chars:
            raise ApiError("message_too_long", 422)
        return cls(sender=sender, message=message, new_conversation=raw_sender is None)


@dataclass(frozen=True)
class FeedbackRequest:
    sender: str
    turn: int
    rating: str

    @classmethod
    def parse(cls, body: dict[str, Any]) -> FeedbackRequest:
        sender = valid_sender(body.get("sender"))
        turn = body.get("turn")
        rating = body.get("rating")
        if isinstance(turn, bool) or not isinstance(turn, int) or not 1 <= turn <= 100_000:
            raise ApiError("invalid_request", 400)
        if rating not in RATINGS:
            raise ApiError("invalid_request", 400)
        return cls(sender=sender, turn=turn, rating=rating)
