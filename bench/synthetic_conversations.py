"""Synthetic conversations written the way Rasa's SQLTrackerStore writes them.

Used by `make bench-review` (100,000 conversations) and by the review tool's tests. The
citizens' messages are the real training examples from data/nlu/ (with the service
entities our matcher finds in them), the bot's messages the real responses in
domain.yml; each `events` row has the columns and JSON that Rasa 3.6 stores
(`SQLTrackerStore.save`: type_name, timestamp, intent_name, action_name, json.dumps of
`Event.as_dict()`). Deterministic for a given seed.
"""

from __future__ import annotations

import json
import math
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import yaml

from bot import names
from bot.core.answers import (
    UTTER_CONTACT,
    UTTER_EXPECTATIONS,
    UTTER_KUNDTJANST_CONTACT,
    UTTER_NOT_KEPT,
    UTTER_OUT_OF_SCOPE,
    UTTER_OVERVIEW_SF,
    UTTER_PROMISES,
    UTTER_WHAT_IS_SERVICEFORKLARING,
)
from bot.core.catalog import load_catalog
from bot.core.matcher import ServiceMatcher
from bot.paths import PROJECT_ROOT

FALLBACK_THRESHOLD = 0.55
DAY = 86_400.0

# What the bot answers to each intent (responses from domain.yml; the service answers
# are filled with the catalog's name by `_bot_text`).
ANSWERS: dict[str, tuple[str, str]] = {
    names.INTENT_GREET: ("utter_greet", "action"),
    names.INTENT_GOODBYE: ("utter_goodbye", "action"),
    names.INTENT_THANK: ("utter_thank", "action"),
    names.INTENT_BOT_CHALLENGE: ("utter_iamabot", "action"),
    names.INTENT_AFFIRM: ("utter_anything_else", "action"),
    names.INTENT_DENY: ("utter_anything_else", "action"),
    names.INTENT_ASK_OVERVIEW: (UTTER_OVERVIEW_SF, names.ACTION_ANSWER_SERVICE),
    names.INTENT_ASK_PROMISES: (UTTER_PROMISES, names.ACTION_ANSWER_SERVICE),
    names.INTENT_ASK_EXPECTATIONS: (UTTER_EXPECTATIONS, names.ACTION_ANSWER_SERVICE),
    names.INTENT_ASK_NOT_KEPT: (UTTER_NOT_KEPT, names.ACTION_ANSWER_SERVICE),
    names.INTENT_ASK_CONTACT: (UTTER_CONTACT, names.ACTION_ANSWER_SERVICE),
    names.INTENT_INFORM_SERVICE: (UTTER_OVERVIEW_SF, names.ACTION_ANSWER_SERVICE),
    names.INTENT_LIST_SERVICES: (names.UTTER_LIST_SERVICES, names.ACTION_LIST_SERVICES),
    names.INTENT_WHAT_IS_SERVICEFORKLARING: (
        UTTER_WHAT_IS_SERVICEFORKLARING,
        names.ACTION_EXPLAIN_SERVICEFORKLARING,
    ),
    names.INTENT_HUMAN_HANDOFF: (UTTER_KUNDTJANST_CONTACT, names.ACTION_HUMAN_HANDOFF),
    names.INTENT_OUT_OF_SCOPE: (UTTER_OUT_OF_SCOPE, "action"),
}
# How often each intent opens a question (the rest of a conversation follows on).
WEIGHTS = {
    names.INTENT_ASK_PROMISES: 22,
    names.INTENT_ASK_OVERVIEW: 14,
    names.INTENT_ASK_CONTACT: 9,
    names.INTENT_ASK_NOT_KEPT: 6,
    names.INTENT_ASK_EXPECTATIONS: 6,
    names.INTENT_INFORM_SERVICE: 5,
    names.INTENT_GREET: 8,
    names.INTENT_THANK: 6,
    names.INTENT_GOODBYE: 4,
    names.INTENT_LIST_SERVICES: 4,
    names.INTENT_WHAT_IS_SERVICEFORKLARING: 3,
    names.INTENT_HUMAN_HANDOFF: 3,
    names.INTENT_OUT_OF_SCOPE: 5,
    names.INTENT_BOT_CHALLENGE: 1,
    names.INTENT_AFFIRM: 2,
    names.INTENT_DENY: 2,
}


def load_examples() -> dict[str, list[str]]:
    """data/nlu/*.yml as {intent: [example text, ...]}."""
    examples: dict[str, list[str]] = {}
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" in block:
                lines = [
                    line[2:].strip()
                    for line in block["examples"].splitlines()
                    if line.startswith("- ")
                ]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


def load_responses() -> dict[str, str]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {name: variants[0]["text"] for name, variants in domain["responses"].items()}


@dataclass
class Row:
    sender_id: str
    type_name: str
    timestamp: float
    intent_name: str | None
    action_name: str | None
    data: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class FeedbackRow:
    sender_id: str
    message_index: int
    message_timestamp: float
    bot_text: str
    rating: str
    created_at: datetime


class Generator:
    def __init__(self, seed: int = 42, end: float | None = None, days: float = 90) -> None:
        self.random = random.Random(seed)
        self.end = end if end is not None else datetime.now(timezone.utc).timestamp()
        self.days = days
        self.examples = load_examples()
        self.responses = load_responses()
        catalog = load_catalog()
        self.names = {d.id: d.name for d in catalog.declarations.values()}
        self.matcher = ServiceMatcher(catalog)
        self.intents = sorted(self.examples)
        self._entities: dict[str, list[dict[str, Any]]] = {}
        self._weights = [WEIGHTS.get(intent, 1) for intent in self.intents]

    # --- one message ---------------------------------------------------------------------------

    def entities(self, text: str) -> list[dict[str, Any]]:
        if text not in self._entities:
            self._entities[text] = [
                {
                    "entity": match.entity,
                    "start": match.start,
                    "end": match.end,
                    "value": match.value,
                    "extractor": "ServiceEntityExtractor",
                }
                for match in self.matcher.find(text)
            ]
        return self._entities[text]

    def parse_data(self, text: str, intent: str, message_id: str) -> dict[str, Any]:
        r = self.random.random()
        top = (
            self.random.uniform(0.80, 0.999)
            if r < 0.78
            else self.random.uniform(FALLBACK_THRESHOLD, 0.80)
            if r < 0.92
            else self.random.uniform(0.2, FALLBACK_THRESHOLD)
        )
        others = self.random.sample([i for i in self.intents if i != intent], 9)
        rest = 1 - top
        weights = sorted((self.random.random() for _ in others), reverse=True)
        total = sum(weights) or 1
        ranking = [{"name": intent, "confidence": top}] + [
            {"name": name, "confidence": rest * w / total}
            for name, w in zip(others, weights, strict=True)
        ]
        chosen = {"name": intent, "confidence": top}
        if top < FALLBACK_THRESHOLD:
            chosen = {"name": names.INTENT_NLU_FALLBACK, "confidence": FALLBACK_THRESHOLD}
            ranking.insert(0, dict(chosen))
        tokens, position = [], 0
        for word in text.split():
            start = text.index(word, position)
            tokens.append([start, start + len(word)])
            position = start + len(word)
        return {
            "text": text,
            "intent": chosen,
            "entities": self.entities(text),
            "text_tokens": tokens,
            "intent_ranking": ranking,
            "message_id": message_id,
            "metadata": {},
        }

    def _bot_text(self, response: str, service: str | None) -> str:
        text = self.responses[response]
        name = self.names.get(service or "", "tjänsten")
        for key, value in (
            ("service_name", name.lower()),
            ("promise_list", "• Du får besked inom 4 veckor.\n• Vi hör av oss inom 7 arbetsdagar."),
            ("summary", "Kommunen lovar att handlägga ärendet snabbt."),
            ("expectation_list", "• Att din ansökan är komplett."),
            ("not_kept_list", "• Kontakta Kundtjänst så utreder vi."),
            ("serviceforklaringar", ", ".join(sorted(self.names.values()))),
        ):
            text = text.replace("{" + key + "}", value)
        return re.sub(r"\{\w+\}", "…", text)

    # --- one conversation ---------------------------------------------------------------------

    def start_time(self) -> float:
        """Uniform over the period, with more conversations in Swedish daytime."""
        while True:
            moment = self.end - self.random.random() * self.days * DAY
            hour = (moment / 3600 + 1) % 24
            if self.random.random() < 0.15 + 0.85 * max(0.0, math.sin((hour - 6) / 16 * math.pi)):
                return moment

    def conversation(self) -> tuple[list[Row], list[FeedbackRow]]:
        rnd = self.random
        sender = uuid.UUID(int=rnd.getrandbits(128)).hex
        now = self.start_time()
        rows: list[Row] = []

        def add(
            type_name: str,
            data: dict[str, Any],
            intent: str | None = None,
            action: str | None = None,
        ) -> None:
            nonlocal now
            now += rnd.uniform(0.001, 0.05)
            data = {"event": type_name, "timestamp": now, **data}
            rows.append(Row(sender, type_name, now, intent, action, json.dumps(data)))

        def action(name: str) -> None:
            add(
                "action",
                {
                    "name": name,
                    "policy": "RulePolicy",
                    "confidence": 1.0,
                    "action_text": None,
                    "hide_rule_turn": False,
                },
                action=name,
            )

        action("action_session_start")
        add(names.EVENT_SESSION_STARTED, {})
        action(names.ACTION_LISTEN)
        turns = rnd.choices((1, 2, 3, 4, 5), weights=(30, 30, 20, 12, 8))[0]
        service: str | None = None
        answers: list[tuple[int, float, str]] = []
        for turn in range(1, turns + 1):
            now += rnd.uniform(4, 90)
            intent = rnd.choices(self.intents, weights=self._weights)[0]
            text = rnd.choice(self.examples[intent])
            message_id = uuid.UUID(int=rnd.getrandbits(128)).hex
            parse = self.parse_data(text, intent, message_id)
            add(
                names.EVENT_USER,
                {
                    "text": text,
                    "parse_data": parse,
                    "input_channel": "rest",
                    "message_id": message_id,
                    "metadata": {},
                },
                intent=parse["intent"]["name"],
            )
            for entity in parse["entities"]:
                if entity["entity"] == names.ENTITY_SERVICE:
                    service = entity["value"]
                    add(
                        "slot",
                        {"name": names.SLOT_SERVICE, "value": service},
                        action=names.SLOT_SERVICE,
                    )
            if parse["intent"]["name"] == names.INTENT_NLU_FALLBACK:
                action(names.ACTION_TWO_STAGE_FALLBACK)
                add(
                    "active_loop",
                    {"name": names.ACTION_TWO_STAGE_FALLBACK},
                    action=names.ACTION_TWO_STAGE_FALLBACK,
                )
                response = names.UTTER_ASK_AFFIRMATION
            else:
                response, action_name = ANSWERS[intent]
                action(response if action_name == "action" else action_name)
            text = self._bot_text(response, service)
            add(
                names.EVENT_BOT,
                {
                    "text": text,
                    "data": {
                        "elements": None,
                        "quick_replies": None,
                        "buttons": None,
                        "attachment": None,
                        "image": None,
                        "custom": None,
                    },
                    "metadata": {"utter_action": response},
                },
            )
            answers.append((turn, now, text))
            action(names.ACTION_LISTEN)
        ratings: list[FeedbackRow] = []
        if rnd.random() < 0.06:
            turn, at, text = rnd.choice(answers)
            ratings.append(
                FeedbackRow(
                    sender,
                    turn,
                    at,
                    text,
                    "up" if rnd.random() < 0.7 else "down",
                    datetime.fromtimestamp(at + 20, timezone.utc),
                )
            )
        return rows, ratings

    def conversations(self, n: int) -> Iterator[tuple[list[Row], list[FeedbackRow]]]:
        for _ in range(n):
            yield self.conversation()
