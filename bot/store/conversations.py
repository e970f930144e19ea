"""Conversations as Rasa stores them: read one back as a transcript, or delete one.

Rasa runs without `--enable-api` (its HTTP API has no authentication), so this module
reads and deletes rows of the tracker store's `events` table directly, with SQLAlchemy
on the same `TRACKER_DB_URL` Rasa writes to (SQLite by default, PostgreSQL when scaled).
Knows nothing of Rasa's classes: only the table's documented columns
(sender_id, type_name, timestamp, intent_name, action_name, data) and the JSON in `data`.

`delete_conversation` is what "Radera min chatt" calls, and what a retention purge reuses.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.core.message_language import message_language, reply_language
from bot.names import EVENT_BOT, EVENT_USER, UTTER_AI_DISCLOSURE
from bot.store.database import sqlite_engine

logger = logging.getLogger(__name__)

USER = EVENT_USER
BOT = EVENT_BOT

_metadata = sa.MetaData()
# Rasa's SQLTrackerStore creates this table; we only declare the columns we use.
events = sa.Table(
    "events",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


@lru_cache(maxsize=8)
def engine_for(db_url: str) -> Engine:
    """One pooled engine per database URL for the life of the process (SQLite: see
    bot.store.database.sqlite_engine)."""
    if db_url.startswith("sqlite:///"):
        path = db_url.split("sqlite:///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return sqlite_engine(db_url)
    return sa.create_engine(db_url, future=True, pool_pre_ping=True)


def _has_events_table(engine: Engine) -> bool:
    return sa.inspect(engine).has_table(events.name)


@dataclass(frozen=True)
class TranscriptMessage:
    """One line of a conversation as the citizen saw it."""

    role: str  # USER or BOT
    turn: int  # 1 for the first user message and the bot's answer to it, and so on
    timestamp: float | None
    text: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    custom: dict[str, Any] | None = None
    # The language it is written in (the `lang` of its bubble), as the live answer gave
    # it: the citizen's where the NLU could tell, the bot's by the conversation's language.
    lang: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"role": self.role, "turn": self.turn}
        if self.lang is not None:
            body["lang"] = self.lang
        if self.text is not None:
            body["text"] = self.text
        if self.buttons:
            body["buttons"] = self.buttons
        if self.custom is not None:
            body["custom"] = self.custom
        return body


@dataclass(frozen=True)
class Answer:
    """The bot's whole answer to one user message (one `turn`)."""

    turn: int
    timestamp: float | None
    text: str


def _buttons(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        return []
    return [
        {"title": b["title"], "payload": b["payload"]}
        for b in value
        if isinstance(b, dict)
        and isinstance(b.get("title"), str)
        and isinstance(b.get("payload"), str)
    ]


def _rows(db_url: str, sender_id: str) -> list[tuple[str, float | None, dict[str, Any]]]:
    engine = engine_for(db_url)
    query = (
        sa.select(events.c.type_name, events.c.timestamp, events.c.data)
        .where(events.c.sender_id == sender_id, events.c.type_name.in_((USER, BOT)))
        .order_by(events.c.id)
    )
    try:
        with engine.connect() as connection:
            result = connection.execute(query).all()
    except (OperationalError, ProgrammingError):
        if not _has_events_table(engine):  # Rasa has not stored anything yet
            return []
        raise
    rows = []
    for type_name, timestamp, data in result:
        try:
            parsed = json.loads(data or "{}")
        except ValueError:
            logger.warning("sender=%s unreadable event data skipped", sender_id)
            continue
        rows.append((type_name, timestamp, parsed if isinstance(parsed, dict) else {}))
    return rows


def is_ai_disclosure(data: dict[str, Any]) -> bool:
    """Whether a stored bot event is the "automated chatbot, not a person" disclosure."""
    metadata = data.get("metadata")
    return isinstance(metadata, dict) and metadata.get("utter_action") == UTTER_AI_DISCLOSURE


def transcript(db_url: str, sender_id: str) -> list[TranscriptMessage]:
    """The user and bot messages of a conversation, oldest first.

    A user message that is the payload of a button the bot had just offered is shown
    with that button's title, as the widget showed it when it was clicked. The AI
    disclosure, said when a session starts (stored before the message that started it),
    belongs to the answer to that next message.
    """
    messages: list[TranscriptMessage] = []
    offered: dict[str, str] = {}
    turn = 0
    conversation_language: str | None = None
    answer_language = reply_language(None, None)
    for type_name, timestamp, data in _rows(db_url, sender_id):
        text = data.get("text") if isinstance(data.get("text"), str) else None
        if type_name == USER:
            turn += 1
            shown = offered.get(text or "", text)
            parse_data = data.get("parse_data") or {}
            found = message_language(parse_data) if isinstance(parse_data, dict) else None
            conversation_language = found or conversation_language
            intent = (parse_data.get("intent") or {}).get("name")
            answer_language = reply_language(conversation_language, intent)
            messages.append(TranscriptMessage(USER, turn, timestamp, text=shown, lang=found))
            offered = {}
            continue
        raw_extra = data.get("data")
        extra: dict[str, Any] = raw_extra if isinstance(raw_extra, dict) else {}
        buttons = _buttons(extra.get("buttons"))
        custom = extra.get("custom") if isinstance(extra.get("custom"), dict) else None
        if text is None and not buttons and custom is None:
            continue
        if buttons:
            offered = {b["payload"]: b["title"] for b in buttons}
        disclosure = is_ai_disclosure(data)  # said before the language is known: Swedish
        shown_in = turn + 1 if disclosure else turn
        lang = reply_language(None, None) if disclosure else answer_language
        messages.append(
            TranscriptMessage(BOT, shown_in, timestamp, text, buttons, custom, lang=lang)
        )
    return messages


@dataclass(frozen=True)
class Turn:
    number: int | None  # None: the message is not stored (yet)
    message_language: str | None  # what the citizen wrote in, when the NLU could tell
    answer_language: str  # what the bot's answer is written in (sv, en, fi, se)


def turn_of_message(db_url: str, sender_id: str, message_id: str) -> int | None:
    """The `turn` of the user message Rasa stored with this `message_id` (1 for the
    conversation's first user message), or None if none is stored (yet)."""
    return turn_and_language(db_url, sender_id, message_id).number


def turn_and_language(db_url: str, sender_id: str, message_id: str) -> Turn:
    """The turn of the user message stored with this `message_id`, the language it was
    written in, and the language of the bot's answer to it. The conversation's language is
    the last one any of its messages was identified in (as Rasa's `language` slot is)."""
    conversation_language: str | None = None
    user_rows = (data for type_name, _, data in _rows(db_url, sender_id) if type_name == USER)
    for turn, data in enumerate(user_rows, start=1):
        parse_data = data.get("parse_data") or {}
        found = message_language(parse_data)
        conversation_language = found or conversation_language
        if data.get("message_id") == message_id:
            intent = (parse_data.get("intent") or {}).get("name")
            return Turn(turn, found, reply_language(conversation_language, intent))
    return Turn(None, None, reply_language(conversation_language, None))


def answer(db_url: str, sender_id: str, turn: int) -> Answer | None:
    """The bot's answer to the `turn`-th user message, or None if there is none."""
    bot_lines = [m for m in transcript(db_url, sender_id) if m.role == BOT and m.turn == turn]
    if turn < 1 or not bot_lines:
        return None
    text = "\n".join(m.text for m in bot_lines if m.text)
    return Answer(turn=turn, timestamp=bot_lines[0].timestamp, text=text)


@dataclass(frozen=True)
class Deleted:
    events: int
    feedback: int


# The citizen's thumbs (bot/store/feedback.py) belong to the conversation too.
_DELETE_FEEDBACK = sa.text("DELETE FROM feedback WHERE sender_id = :sender_id")


def delete_conversation(db_url: str, sender_id: str) -> Deleted:
    """Delete one conversation: its events and its ratings, in one transaction."""
    engine = engine_for(db_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(events.delete().where(events.c.sender_id == sender_id))
            ratings = 0
            if sa.inspect(connection).has_table("feedback"):
                ratings = connection.execute(_DELETE_FEEDBACK, {"sender_id": sender_id}).rowcount
    except (OperationalError, ProgrammingError):
        if not _has_events_table(engine):
            return Deleted(0, 0)
        raise
    logger.info(
        "sender=%s conversation deleted: %d events, %d ratings", sender_id, result.rowcount, ratings
    )
    return Deleted(result.rowcount, ratings)
