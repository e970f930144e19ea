"""Our tracker store's bookkeeping (bot/adapters/tracker_store.py): SQLite pooled and in WAL
mode; a read-change-save writes exactly the new events, without Rasa's count query when it
read the tracker itself, and with it (Rasa's way) when it did not; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.adapters.tracker_store import MaskingSQLTrackerStore
from bot.paths import PROJECT_ROOT
from tests.helpers.services import postgres_schema_or_skip


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, domain) -> Iterator[MaskingSQLTrackerStore]:
    if request.param == "sqlite":
        yield MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "t.db"))
        return
    with postgres_schema_or_skip("trackerstore") as url:
        store = MaskingSQLTrackerStore(domain=domain, host=url)
        yield store
        store.engine.dispose()


def turn(text: str) -> list:
    return [
        UserUttered(text, intent={"name": "greet", "confidence": 1.0}),
        ActionExecuted("utter_greet"),
        BotUttered("Hej!"),
        ActionExecuted("action_listen"),
    ]


def opening() -> list:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ]


def stored_texts(store: SQLTrackerStore, sender: str) -> list[str]:
    with store.session_scope() as session:
        rows = (
            session.query(store.SQLEvent)
            .filter(store.SQLEvent.sender_id == sender)
            .order_by(store.SQLEvent.id)
            .all()
        )
        return [
            json.loads(row.data)["event"] + ":" + str(json.loads(row.data).get("text"))
            for row in rows
        ]


def no_counting(monkeypatch) -> None:
    def refuse(self, session, tracker):
        raise AssertionError("Rasa's count query ran")

    monkeypatch.setattr(SQLTrackerStore, "_additional_events", refuse)


def test_a_tracker_read_changed_and_saved_writes_only_its_new_events(store, domain, monkeypatch):
    first = DialogueStateTracker.from_events("anna", opening() + turn("hej"), domain.slots)
    asyncio.run(store.save(first))
    no_counting(monkeypatch)
    tracker = asyncio.run(store.retrieve("anna"))
    for event in turn("och igen"):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # saved twice: nothing written twice
    texts = stored_texts(store, "anna")
    assert len(texts) == len(opening()) + 2 * len(turn("x"))
    assert texts.count("user:och igen") == 1
    assert texts[-4] == "user:och igen"


def test_a_tracker_it_did_not_read_is_counted_in_the_database(store, domain, monkeypatch):
    asyncio.run(store.save(DialogueStateTracker.from_events("bo", opening(), domain.slots)))
    counted = []
    stock = SQLTrackerStore._additional_events

    def counting(self, session, tracker):
        counted.append(tracker.sender_id)
        return stock(self, session, tracker)

    monkeypatch.setattr(SQLTrackerStore, "_additional_events", counting)
    # A copy of what was read (Rasa may copy trackers): it carries no bookkeeping.
    copy = asyncio.run(store.retrieve("bo")).copy()
    copy.update(UserUttered("kopian", intent={"name": "greet", "confidence": 1.0}))
    asyncio.run(store.save(copy))
    assert counted == ["bo"]
    assert stored_texts(store, "bo")[-1] == "user:kopian"
    assert len(stored_texts(store, "bo")) == len(opening()) + 1


def test_sqlite_is_pooled_and_in_write_ahead_log_mode(tmp_path, domain):
    store = MaskingSQLTrackerStore(domain=domain, dialect="sqlite", db=str(tmp_path / "w.db"))
    assert isinstance(store.engine.pool, sa.pool.QueuePool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
