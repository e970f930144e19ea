"""Test helpers for the review tool (/granska): a tracker store written by Rasa's own
SQLTrackerStore (SQLite, or a throw-away schema in PostgreSQL's `test` database), staff
accounts, and a logged-in test client.

The conversations (`CONVERSATIONS`) are few and known, so every filter's expected result
can be written down.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench.harness import POSTGRES_TEST_URL, postgres_problem, postgres_schema

PG_URL = POSTGRES_TEST_URL
PASSWORD = "correct horse battery staple"

# Two days ago at 10:00 UTC, so every test day is over and inside the default period.
BASE = (datetime.now(timezone.utc) - timedelta(days=2)).replace(
    hour=10, minute=0, second=0, microsecond=0
)
OLD = datetime(2024, 1, 10, 9, 0, tzinfo=timezone.utc)

XSS_TEXT = '<script>alert("xss")</script> <img src=x onerror=alert(1)> och bygglov'

# SQL injection attempts for every filter and the search.
INJECTIONS = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "'; DROP TABLE events; --",
    '" OR ""="',
    "1' UNION SELECT sender_id, sender_id FROM events --",
    "') OR ('a'='a",
    "*/ OR 1=1 /*",
    "%",
    "_",
    "\\",
    "bygglov' --",
    "0 OR 1=1",
]


def ranking(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"name": name, "confidence": conf} for name, conf in pairs]


def service(value: str, start: int, end: int, entity: str = "service") -> dict[str, Any]:
    return {
        "entity": entity,
        "value": value,
        "start": start,
        "end": end,
        "extractor": "ServiceEntityExtractor",
    }


def language(value: str) -> dict[str, Any]:
    """The language the NLU component found (bot/adapters/nlu.py MessageLanguage)."""
    return {"entity": "language", "value": value, "extractor": "MessageLanguage"}


@dataclass(frozen=True)
class Turn:
    text: str
    intent: str
    confidence: float
    ranking: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    action: str
    bot_text: str
    response: str | None = None
    buttons: list[dict[str, str]] | None = None


DISCLOSURE_TEXT = "Du chattar med en automatisk chattbot, inte med en människa."


@dataclass(frozen=True)
class Conversation:
    sender_id: str
    start: datetime
    turns: list[Turn]
    # Whether the session starts with the AI disclosure, as actions/session.py says it
    # (stored before SessionStarted, as Rasa stores a custom action_session_start's reply).
    disclosed: bool = False


CONVERSATIONS = [
    Conversation(
        "bygglov-1",
        BASE,
        [
            Turn(
                "hur lång tid tar bygglov?",
                "ask_promises",
                0.93,
                ranking(("ask_promises", 0.93), ("ask_overview", 0.04), ("ask_contact", 0.02)),
                [service("bygglov", 17, 24), language("sv")],
                "action_answer_service",
                "Tider och löften för bygglov: beslut inom 4 veckor.",
                "utter_promises",
            ),
            Turn(
                "tack så mycket",
                "thank",
                0.97,
                ranking(("thank", 0.97), ("affirm", 0.02)),
                [],
                "utter_thank",
                "Varsågod! Fråga gärna om något mer.",
                "utter_thank",
            ),
        ],
    ),
    Conversation(
        "fallback-1",
        BASE + timedelta(hours=1),
        [
            Turn(
                "blorf snurk",
                "nlu_fallback",
                0.55,
                ranking(
                    ("nlu_fallback", 0.55), ("greet", 0.31), ("ask_overview", 0.2), ("thank", 0.1)
                ),
                [],
                "action_two_stage_fallback",
                "Jag är inte säker på att jag förstod. Menade du något av det här?",
                "utter_ask_affirmation",
                [{"title": "Något annat", "payload": "/out_of_scope"}],
            ),
        ],
    ),
    Conversation(
        "handoff-1",
        BASE + timedelta(hours=2),
        [
            Turn(
                "kan jag få prata med en människa",
                "human_handoff",
                0.88,
                ranking(("human_handoff", 0.88), ("ask_contact", 0.1)),
                [],
                "action_human_handoff",
                "Du når Kundtjänst på telefon 0910-73 50 00.",
                "utter_kundtjanst_contact",
            ),
        ],
        disclosed=True,
    ),
    Conversation(
        "snow-1",
        BASE + timedelta(hours=3),
        [
            Turn(
                "när plogar ni vår gata",
                "ask_promises",
                0.61,
                ranking(("ask_promises", 0.61), ("ask_overview", 0.3), ("ask_contact", 0.05)),
                [service("snorojning", 4, 10), language("sv")],
                "action_answer_service",
                "Tider och löften för snöröjning: plogning inom 6 timmar.",
                "utter_promises",
            ),
        ],
    ),
    Conversation(
        "xss-1",
        BASE + timedelta(hours=4),
        [
            Turn(
                XSS_TEXT,
                "out_of_scope",
                0.41,
                ranking(("out_of_scope", 0.41), ("ask_overview", 0.35), ("greet", 0.1)),
                [service("bygglov", 63, 70)],
                "utter_out_of_scope",
                "Det kan jag tyvärr inte svara på.",
                "utter_out_of_scope",
            ),
        ],
    ),
    Conversation(
        "simhall-1",
        BASE + timedelta(hours=5),
        [
            Turn(
                "när öppnar simhallen",
                "ask_overview",
                0.9,
                ranking(("ask_overview", 0.9), ("ask_promises", 0.05)),
                [service("simhall och badhus", 11, 20, "unknown_service"), language("en")],
                "action_answer_service",
                "Jag hittar ingen serviceförklaring för simhallen.",
                "utter_unknown_service",
            ),
        ],
    ),
    Conversation(
        "old-1",
        OLD,
        [
            Turn(
                "hej",
                "greet",
                0.99,
                ranking(("greet", 0.99)),
                [],
                "utter_greet",
                "Hej! Jag svarar på frågor om kommunens tjänster.",
                "utter_greet",
            ),
        ],
    ),
]
ALL = {c.sender_id for c in CONVERSATIONS}


def rasa_events(conversation: Conversation) -> list[Any]:
    from rasa.shared.core.events import (
        ActionExecuted,
        BotUttered,
        SessionStarted,
        SlotSet,
        UserUttered,
    )

    moment = conversation.start.timestamp()

    def at() -> float:
        nonlocal moment
        moment += 0.5
        return moment

    events: list[Any] = [ActionExecuted("action_session_start", timestamp=at())]
    if conversation.disclosed:
        events.append(
            BotUttered(
                DISCLOSURE_TEXT,
                data={},
                metadata={"utter_action": "utter_ai_disclosure"},
                timestamp=at(),
            )
        )
    events += [
        SessionStarted(timestamp=at()),
        ActionExecuted("action_listen", timestamp=at()),
    ]
    for turn in conversation.turns:
        moment += 30
        message_id = uuid.uuid4().hex
        parse_data = {
            "text": turn.text,
            "intent": {"name": turn.intent, "confidence": turn.confidence},
            "entities": turn.entities,
            "intent_ranking": turn.ranking,
            "message_id": message_id,
        }
        events.append(
            UserUttered(
                turn.text,
                intent=parse_data["intent"],
                entities=turn.entities,
                parse_data=parse_data,
                timestamp=at(),
                input_channel="rest",
                message_id=message_id,
            )
        )
        for entity in turn.entities:
            if entity["entity"] == "service":
                events.append(SlotSet("service", entity["value"], timestamp=at()))
        events.append(ActionExecuted(turn.action, timestamp=at()))
        events.append(
            BotUttered(
                turn.bot_text,
                data={"buttons": turn.buttons},
                metadata={"utter_action": turn.response},
                timestamp=at(),
            )
        )
        events.append(ActionExecuted("action_listen", timestamp=at()))
    return events


def write_conversations(store: Any, conversations: list[Conversation] = CONVERSATIONS) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    async def save_all() -> None:
        for conversation in conversations:
            tracker = DialogueStateTracker.from_events(
                conversation.sender_id, rasa_events(conversation), slots=store.domain.slots
            )
            await store.save(tracker)

    asyncio.run(save_all())


@lru_cache(maxsize=1)
def domain() -> Any:
    from rasa.shared.core.domain import Domain

    from bot.paths import PROJECT_ROOT

    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def sqlite_store(path: Path) -> tuple[str, Any]:
    from rasa.core.tracker_store import SQLTrackerStore

    store = SQLTrackerStore(domain(), dialect="sqlite", db=str(path))
    return f"sqlite:///{path}", store


def postgres_reachable() -> str | None:
    """None if PostgreSQL's `test` database answers, else why not."""
    return postgres_problem(PG_URL)


@contextmanager
def postgres_store() -> Iterator[tuple[str, Any]]:
    """A schema of its own in the `test` database (dropped afterwards), reached through
    search_path, with Rasa's tables written by Rasa's SQLTrackerStore."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.ops.endpoints import tracker_store_config
    from bot.review.tables import engine_for
    from bot.store.conversations import engine_for as web_engine

    with postgres_schema(PG_URL, "review_test") as url:
        config = tracker_store_config(url)
        store = SQLTrackerStore(
            domain(),
            dialect="postgresql",
            host=config["url"],
            port=config["port"],
            db=config["db"],
            query=config["query"],
        )
        try:
            yield url, store
        finally:
            store.engine.dispose()
            for factory in (engine_for, web_engine):
                factory(url).dispose()


def add_feedback(db_url: str, sender_id: str, turn: int, rating: str) -> None:
    """A thumbs up/down as the widget's API saves it (bot/store/feedback.py)."""
    from bot.store import conversations, feedback

    feedback.create_feedback_table(db_url)
    answer = conversations.answer(db_url, sender_id, turn)
    assert answer is not None, (sender_id, turn)
    feedback.save_rating(db_url, sender_id, answer, rating)


def add_staff(db_url: str, username: str, role: str) -> None:
    from bot.review import accounts
    from bot.review.tables import create_tables, engine_for

    engine = engine_for(db_url)
    create_tables(engine)
    accounts.add_user(engine, username, role, PASSWORD)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Client:
    """A logged-in (or not) browser for `app.test_client`: keeps the cookies."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def _keep(self, response: Any) -> None:
        for name, value in response.cookies.items():
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)

    def get(self, path: str, **kwargs: Any) -> Any:
        _, response = self.app.test_client.get(
            path, cookies=self.cookies, allow_redirects=False, **kwargs
        )
        self._keep(response)
        return response

    def post(
        self, path: str, data: dict[str, str] | None = None, csrf: bool = True, **kwargs: Any
    ) -> Any:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        _, response = self.app.test_client.post(
            path, data=data, cookies=self.cookies, allow_redirects=False, **kwargs
        )
        self._keep(response)
        return response

    def login(self, username: str, password: str = PASSWORD, **kwargs: Any) -> Any:
        page = self.get("/granska/logga-in", headers=kwargs.get("headers"))
        token = CSRF.search(page.text).group(1)
        response = self.post(
            "/granska/logga-in",
            {"csrf_token": token, "username": username, "password": password},
            **kwargs,
        )
        if response.status == 303:
            landing = self.get("/granska/")
            self.csrf = CSRF.search(landing.text).group(1)
        return response

    def senders(self, **query: str) -> list[str]:
        """Sender ids the list API returns for these filters (all pages)."""
        found: list[str] = []
        page = 1
        while True:
            response = self.get("/granska/api/samtal", params={**query, "sida": str(page)})
            assert response.status == 200, response.text
            found += [row["sender_id"] for row in response.json["conversations"]]
            if not response.json["has_next"]:
                return found
            page += 1
