"""The REST channel masks, mounted as Rasa mounts it, with Rasa's own SQL tracker store
(not our masking one: what is masked here, the channel masked) behind a stand-in for
Rasa's agent: a personnummer split over two messages, metadata keys, `input_channel`, and
a store that cannot answer."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from sanic import Sanic

from bot.adapters.channels import ChannelTexts, MaskingRestInput, Settings
from bot.paths import PROJECT_ROOT

P, T, E = "[personnummer]", "[telefon]", "[e-post]"
TEXTS = ChannelTexts(personal_data_removed="Borttaget.", technical_problem="Fel.")
ANSWER = "Svar."


class StandInAgent:
    """What the channel uses of Rasa's agent: its tracker store."""

    def __init__(self, tracker_store: Any) -> None:
        self.tracker_store = tracker_store


class UnreachableStore:
    async def retrieve(self, sender_id: str) -> None:
        raise ConnectionError("the database is down")


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


@pytest.fixture
def store(tmp_path: Path, domain: Domain) -> SQLTrackerStore:
    return SQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"))


def webhook_app(
    store: SQLTrackerStore,
    agent_store: Any = None,
    texts: ChannelTexts = TEXTS,
    answering: bool = True,
) -> Sanic:
    """Rasa's REST channel as Rasa mounts it; each message is stored the way Rasa's
    processor stores it (a UserUttered with the channel's text, channel and metadata)."""
    app = Sanic(f"channel-{uuid.uuid4().hex[:8]}")
    app.ctx.agent = StandInAgent(agent_store or store)

    async def on_new_message(message: UserMessage) -> None:
        tracker = await store.get_or_create_tracker(message.sender_id)
        tracker.update(
            UserUttered(
                message.text, input_channel=message.input_channel, metadata=message.metadata
            )
        )
        await store.save(tracker)
        if not answering:
            raise RuntimeError("the action server is down")
        await message.output_channel.send_text_message(message.sender_id, ANSWER)

    channel = MaskingRestInput(texts, Settings())
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/rest")
    return app


def send(app: Sanic, sender: str, message: str, **fields: Any) -> list[str]:
    body = {"sender": sender, "message": message, **fields}
    _, response = app.test_client.post("/webhooks/rest/webhook", content=json.dumps(body))
    assert response.status == 200, response.text
    return [reply["text"] for reply in response.json]


def stored_user_events(store: SQLTrackerStore, sender: str) -> tuple[list[dict], str]:
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text("select * from events where sender_id = :s order by id"), {"s": sender}
        ).all()
    everything = "\n".join(" | ".join(str(v) for v in row) for row in rows)
    events = [json.loads(row.data) for row in rows]
    return [e for e in events if e["event"] == "user"], everything


def test_a_personnummer_split_over_two_messages_is_masked_in_both(store):
    app = webhook_app(store)
    assert send(app, "split", "Mitt personnummer är ٨١١٢١٨") == ["Borttaget.", ANSWER]
    assert send(app, "split", "98\u200b76") == ["Borttaget.", ANSWER]
    assert send(app, "split", "9876") == [ANSWER]  # only right after the date part
    first, second, third = stored_user_events(store, "split")[0]
    assert first["text"] == f"Mitt personnummer är {P}"
    assert first["metadata"]["redaction_awaits"] == "last_four"
    assert second["text"] == P and second["metadata"]["redacted"] == ["personnummer"]
    assert third["text"] == "9876"


def test_the_word_then_the_date_part_then_the_last_four(store):
    app = webhook_app(store)
    send(app, "three", "mitt personnummer är:")
    send(app, "three", "811218")
    send(app, "three", "-9876")
    texts = [e["text"] for e in stored_user_events(store, "three")[0]]
    assert texts == ["mitt personnummer är:", P, f"-{P}"]


def test_another_conversation_is_not_affected(store):
    app = webhook_app(store)
    send(app, "one", "mitt personnummer är 811218")
    send(app, "two", "9876 kr, vad kostar bygglov?")
    [event] = stored_user_events(store, "two")[0]
    assert event["text"] == "9876 kr, vad kostar bygglov?"


def test_when_the_store_cannot_say_the_four_digits_are_masked(store):
    app = webhook_app(store, agent_store=UnreachableStore())
    send(app, "down", "9876")
    [event] = stored_user_events(store, "down")[0]
    assert event["text"] == P


def test_metadata_keys_and_the_input_channel_are_masked(store):
    app = webhook_app(store)
    replies = send(
        app,
        "keys",
        "hej",
        metadata={"811218-9876": "ja", "kontakt": {"anna＠exempel.se": True}, "page": "/a"},
        input_channel="070-123 45 67",
    )
    assert replies[0] == "Borttaget."
    [event], everything = stored_user_events(store, "keys")
    assert event["metadata"]["kontakt"] == {E: True}
    assert event["metadata"][P] == "ja" and event["metadata"]["page"] == "/a"
    assert event["metadata"]["redacted"] == ["personnummer", "telefon", "e-post"]
    assert event["input_channel"] == T
    for item in ("811218", "9876", "123 45 67", "anna"):
        assert item not in everything


def test_a_client_cannot_say_what_its_message_awaits(store):
    app = webhook_app(store)
    send(app, "client", "hej", metadata={"redaction_awaits": "last_four"})
    send(app, "client", "9876 kr")
    texts = [e["text"] for e in stored_user_events(store, "client")[0]]
    assert texts == ["hej", "9876 kr"]


def test_a_message_in_english_gets_the_notice_and_the_fault_in_english(store):
    """domain.yml's English variations of the channel's two sentences, by the language of
    the (masked) message; Swedish for every other message."""
    texts = ChannelTexts.from_domain()
    assert texts.personal_data_removed_en and texts.technical_problem_en
    app = webhook_app(store, texts=texts, answering=False)
    english = send(app, "en-1", "my phone number is 070-765 43 21, can you call me back today?")
    assert english == [texts.personal_data_removed_en, texts.technical_problem_en]
    swedish = send(app, "sv-1", "mitt nummer är 070-765 43 21, kan ni ringa mig i dag?")
    assert swedish == [texts.personal_data_removed, texts.technical_problem]
    assert send(app, "sv-2", "hej") == [texts.technical_problem]  # too short to tell: Swedish
