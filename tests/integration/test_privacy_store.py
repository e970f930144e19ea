"""Defence in depth: the tracker store masks personal data itself, whatever channel the
events came through, on SQLite and on PostgreSQL; and it is what endpoints.yml loads."""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.adapters.tracker_store import MaskingSQLTrackerStore, mask_events
from bot.ops.endpoints import endpoints
from bot.paths import PROJECT_ROOT

PERSONAL = ["811218-9876", "070-123 45 67", "anna@exempel.se", "0910 12 34 56"]
# (0910-73 50 00, Kundtjänst's number, is in the bot's own answer and stays.)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


def unmasked_events() -> list:
    """What a channel without masking would hand over."""
    text = "mitt nr 811218-9876, ring 070-123 45 67"
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(metadata={"contact": "anna@exempel.se"}),
        ActionExecuted("action_listen"),
        UserUttered(
            text,
            intent={"name": "ask_contact", "confidence": 0.9},
            entities=[
                {"entity": "unknown_service", "value": "070-123 45 67", "start": 26, "end": 39}
            ],
            parse_data={"text": text, "intent": {"name": "ask_contact"}},
            metadata={"note": "0910 12 34 56"},
            input_channel="someone_elses",
        ),
        SlotSet("service", "anna@exempel.se"),
        BotUttered(
            "Kundtjänst: 0910-73 50 00",
            metadata={"utter_action": "utter_x", "kundtjanst_phone": "0910-73 50 00"},
        ),
    ]


def save_and_read(store: MaskingSQLTrackerStore, sender: str) -> list[dict]:
    tracker = DialogueStateTracker.from_events(sender, unmasked_events())
    asyncio.run(store.save(tracker))
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text("select * from events where sender_id = :s order by id"), {"s": sender}
        ).all()
    assert rows
    for row in rows:
        as_text = " | ".join(str(v) for v in row)
        assert not any(item in as_text for item in PERSONAL), as_text
    return [json.loads(row.data) for row in rows]


def assert_masked(stored: list[dict]) -> None:
    [user] = [e for e in stored if e["event"] == "user"]
    assert user["text"] == "mitt nr [personnummer], ring [telefon]"
    assert user["parse_data"]["text"] == user["text"]
    assert user["parse_data"]["entities"][0]["value"] == "[telefon]"
    assert user["metadata"]["note"] == "[telefon]"
    [slot] = [e for e in stored if e["event"] == "slot"]
    assert slot["value"] == "[e-post]"
    [session] = [e for e in stored if e["event"] == "session_started"]
    assert session["metadata"]["contact"] == "[e-post]"
    # The bot's own sentences (domain.yml, catalog) are stored as said.
    [bot] = [e for e in stored if e["event"] == "bot"]
    assert bot["text"] == "Kundtjänst: 0910-73 50 00"
    assert bot["metadata"]["kundtjanst_phone"] == "0910-73 50 00"


def test_sqlite_store_masks_before_saving(tmp_path, domain):
    store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"))
    assert_masked(save_and_read(store, "sqlite-sender"))
    retrieved = asyncio.run(store.retrieve("sqlite-sender"))
    assert retrieved.latest_message.text == "mitt nr [personnummer], ring [telefon]"


def test_postgresql_store_masks_before_saving(postgres_url, domain):
    store = MaskingSQLTrackerStore(domain=domain, host=postgres_url)
    assert store.engine.dialect.name == "postgresql"
    assert_masked(save_and_read(store, "postgres-sender"))


def test_endpoints_load_the_masking_store_not_rasas_in_memory_fallback(tmp_path, domain):
    # Rasa silently falls back to an in-memory store if `type` cannot be imported.
    config = endpoints({"TRACKER_DB_URL": f"sqlite:///{tmp_path / 't.db'}"})["tracker_store"]
    store = create_tracker_store(EndpointConfig.from_dict(dict(config)), domain)
    assert isinstance(store, MaskingSQLTrackerStore)


class CollectingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def test_events_streamed_to_an_event_broker_are_masked_too(tmp_path, domain):
    broker = CollectingBroker()
    store = MaskingSQLTrackerStore(
        domain=domain, dialect="sqlite", db=str(tmp_path / "tracker.db"), event_broker=broker
    )
    save_and_read(store, "broker-sender")
    assert broker.published
    assert not any(item in json.dumps(broker.published) for item in PERSONAL)
    assert_masked(broker.published)


def test_mask_events_reports_kinds_and_is_idempotent():
    events = unmasked_events()
    assert mask_events(events) == ("personnummer", "telefon", "e-post")
    assert mask_events(events) == ()


def test_a_personnummer_split_over_two_saves_is_masked_in_both(tmp_path, domain):
    # A channel without masking: the store reads what the previous message left open.
    store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"))
    tracker = DialogueStateTracker.from_events(
        "split", [ActionExecuted("action_listen"), UserUttered("mitt personnummer är 811218")]
    )
    asyncio.run(store.save(tracker))
    tracker = asyncio.run(store.retrieve("split"))
    tracker.update(UserUttered("98\u00ad76"))
    asyncio.run(store.save(tracker))
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text("select data from events where sender_id = 'split' and type_name = 'user'")
        ).all()
    texts = [json.loads(row.data)["text"] for row in rows]
    assert texts == ["mitt personnummer är [personnummer]", "[personnummer]"]


def test_metadata_keys_and_the_input_channel_are_masked_before_saving(tmp_path, domain):
    events = [
        UserUttered(
            "hej",
            input_channel="070-123 45 67",
            metadata={"811218-9876": {"anna@exempel.se": 1}},
        )
    ]
    assert mask_events(events) == ("personnummer", "telefon", "e-post")
    assert events[0].input_channel == "[telefon]"
    assert events[0].metadata == {"[personnummer]": {"[e-post]": 1}}
