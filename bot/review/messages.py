"""What one stored event says, read from the JSON Rasa keeps in `events.data`.

Pure functions, no database: the queries hand them the `data` text of a row.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from bot import names

logger = logging.getLogger(__name__)

FALLBACK_INTENT = names.INTENT_NLU_FALLBACK
HANDOFF_INTENT = names.INTENT_HUMAN_HANDOFF
FALLBACK_ACTIONS = (names.ACTION_TWO_STAGE_FALLBACK, names.ACTION_DEFAULT_FALLBACK)
SERVICE_ENTITY = names.ENTITY_SERVICE
LANGUAGE_ENTITY = names.ENTITY_LANGUAGE
UNKNOWN_SERVICE_ENTITY = names.ENTITY_UNKNOWN_SERVICE

USER = names.EVENT_USER
BOT = names.EVENT_BOT
ACTION = names.EVENT_ACTION
SESSION_STARTED = names.EVENT_SESSION_STARTED
AI_DISCLOSURE = names.UTTER_AI_DISCLOSURE
ACTION_LISTEN = names.ACTION_LISTEN


def load(data: str | None) -> dict[str, Any]:
    """The event's JSON as a dict; {} for missing or unreadable data."""
    if not data:
        return {}
    try:
        parsed = json.loads(data)
    except ValueError:
        logger.warning("unreadable event data skipped")
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _dict(value: Any) -> dict[str, Any]:
    """A JSON object as it is; {} for anything else (missing, null, a list...)."""
    return value if isinstance(value, dict) else {}


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str


@dataclass(frozen=True)
class Understanding:
    """What the NLU made of one user message."""

    text: str
    intent: str | None
    # The classifier's confidence in its best intent. When the fallback classifier took
    # over (intent nlu_fallback, whose "confidence" is only the threshold), this is the
    # best real intent's confidence from the ranking.
    confidence: float | None
    ranking: list[tuple[str, float]] = field(default_factory=list)  # real intents, best first
    entities: list[Entity] = field(default_factory=list)

    @property
    def fell_back(self) -> bool:
        return self.intent == FALLBACK_INTENT

    @property
    def best_guess(self) -> str | None:
        """The intent the classifier would have picked (never nlu_fallback)."""
        return self.ranking[0][0] if self.ranking else (None if self.fell_back else self.intent)

    def values(self, entity: str) -> list[str]:
        return [e.value for e in self.entities if e.entity == entity]

    @property
    def services(self) -> list[str]:
        return self.values(SERVICE_ENTITY)

    @property
    def unknown_services(self) -> list[str]:
        return self.values(UNKNOWN_SERVICE_ENTITY)


def understanding(data: dict[str, Any]) -> Understanding:
    parse = _dict(data.get("parse_data"))
    intent_data = _dict(parse.get("intent"))
    intent = intent_data.get("name") if isinstance(intent_data.get("name"), str) else None
    ranking = [
        (r["name"], _float(r.get("confidence")) or 0.0)
        for r in parse.get("intent_ranking") or []
        if isinstance(r, dict) and isinstance(r.get("name"), str) and r["name"] != FALLBACK_INTENT
    ]
    if intent == FALLBACK_INTENT:
        confidence = ranking[0][1] if ranking else None
    else:
        confidence = _float(intent_data.get("confidence"))
    entities = [
        Entity(e["entity"], str(e.get("value")))
        for e in parse.get("entities") or []
        if isinstance(e, dict) and isinstance(e.get("entity"), str) and e.get("value") is not None
    ]
    raw_text = data.get("text")
    text = raw_text if isinstance(raw_text, str) else ""
    return Understanding(text, intent, confidence, ranking, entities)


@dataclass(frozen=True)
class BotMessage:
    text: str | None
    buttons: list[str]  # button titles
    response: str | None  # the domain response it came from, if Rasa recorded it
    has_custom: bool


def bot_message(data: dict[str, Any]) -> BotMessage:
    extra = _dict(data.get("data"))
    buttons = [
        str(b.get("title"))
        for b in extra.get("buttons") or []
        if isinstance(b, dict) and b.get("title") is not None
    ]
    metadata = _dict(data.get("metadata"))
    response = metadata.get("utter_action")
    text = data.get("text") if isinstance(data.get("text"), str) else None
    return BotMessage(
        text,
        buttons,
        response if isinstance(response, str) else None,
        isinstance(extra.get("custom"), dict),
    )
