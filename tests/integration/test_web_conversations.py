"""bot/store/conversations.py and the feedback table, on a tracker store written by Rasa's own
SQLTrackerStore (so the `events` schema we read is the one Rasa writes)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.names import UTTER_AI_DISCLOSURE as DISCLOSURE
from bot.store import conversations, feedback

BUTTONS = [
    {"title": "Bygglov", "payload": '/inform_service{"service":"bygglov"}'},
    {"title": "Färdtjänst", "payload": '/inform_service{"service":"fardtjanst"}'},
]
CARD = {"type": "promise_card", "name": "Bygglov", "promises": []}


def store_conversation(db_path: Path, sender: str, events: list) -> None:
    """Save a conversation the way the Rasa server does."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(dialect="sqlite", db=str(db_path))
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()


def conversation_events() -> list:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered(
            "hur lång tid tar det?", {"name": "ask_promises", "confidence": 1.0}, message_id="m1"
        ),
        BotUttered("Vilken tjänst gäller det?", {"buttons": BUTTONS}),
        ActionExecuted("action_listen"),
        UserUttered(
            BUTTONS[0]["payload"], {"name": "inform_service", "confidence": 1.0}, message_id="m2"
        ),
        BotUttered("Tider och löften för Bygglov:"),
        BotUttered(None, {"custom": CARD}),
        BotUttered("Källa: https://www.skelleftea.se/default.aspx?id=155433"),
        ActionExecuted("action_listen"),
    ]


@pytest.fixture
def db(tmp_path) -> tuple[str, Path]:
    path = tmp_path / "tracker.db"
    store_conversation(path, "conversation-a", conversation_events())
    store_conversation(path, "conversation-b", conversation_events())
    return f"sqlite:///{path}", path


def count_events(path: Path, sender: str) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "select count(*) from events where sender_id = ?", (sender,)
        ).fetchone()[0]


def test_transcript_shows_what_the_citizen_saw(db):
    url, _ = db
    lines = [m.as_json() for m in conversations.transcript(url, "conversation-a")]
    assert lines == [
        {"role": "user", "turn": 1, "text": "hur lång tid tar det?"},
        {
            "role": "bot",
            "turn": 1,
            "lang": "sv",
            "text": "Vilken tjänst gäller det?",
            "buttons": BUTTONS,
        },
        # the clicked button's payload is shown with its title, as in the widget
        {"role": "user", "turn": 2, "text": "Bygglov"},
        {"role": "bot", "turn": 2, "lang": "sv", "text": "Tider och löften för Bygglov:"},
        {"role": "bot", "turn": 2, "lang": "sv", "custom": CARD},
        {
            "role": "bot",
            "turn": 2,
            "lang": "sv",
            "text": "Källa: https://www.skelleftea.se/default.aspx?id=155433",
        },
    ]


def test_unknown_conversation_and_missing_table_read_as_empty(db, tmp_path):
    url, _ = db
    assert conversations.transcript(url, "nobody-here") == []
    empty = f"sqlite:///{tmp_path / 'new.db'}"
    assert conversations.transcript(empty, "conversation-a") == []
    assert conversations.delete_conversation(empty, "conversation-a").events == 0


def test_answer_joins_the_bot_messages_of_one_turn(db):
    url, _ = db
    second = conversations.answer(url, "conversation-a", 2)
    assert second is not None and second.turn == 2 and second.timestamp
    assert second.text == (
        "Tider och löften för Bygglov:\nKälla: https://www.skelleftea.se/default.aspx?id=155433"
    )
    assert conversations.answer(url, "conversation-a", 3) is None
    assert conversations.answer(url, "conversation-a", 0) is None


def test_the_turn_of_a_message_is_found_by_the_message_id_rasa_stored(db):
    url, _ = db
    assert conversations.turn_of_message(url, "conversation-a", "m1") == 1
    assert conversations.turn_of_message(url, "conversation-a", "m2") == 2
    assert conversations.turn_of_message(url, "conversation-a", "m3") is None
    assert conversations.turn_of_message(url, "nobody-here", "m1") is None


def test_delete_conversation_deletes_every_row_of_that_sender_only(db):
    url, path = db
    before = count_events(path, "conversation-a")
    assert before > 6  # session start, actions, user and bot events
    assert conversations.delete_conversation(url, "conversation-a").events == before
    assert count_events(path, "conversation-a") == 0
    assert count_events(path, "conversation-b") == before
    assert conversations.delete_conversation(url, "conversation-a").events == 0


def test_feedback_rows_copy_the_answer_from_the_tracker_and_replace_a_new_rating(db):
    url, path = db
    feedback.create_feedback_table(url)
    rated = conversations.answer(url, "conversation-a", 2)
    feedback.save_rating(url, "conversation-a", rated, feedback.UP)
    feedback.save_rating(url, "conversation-a", rated, feedback.DOWN)
    feedback.save_rating(url, "conversation-b", rated, feedback.UP)
    assert feedback.ratings(url, "conversation-a") == {2: "down"}
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "select sender_id, message_index, message_timestamp, bot_text, rating, created_at "
            "from feedback where sender_id = 'conversation-a'"
        ).fetchall()
    assert len(rows) == 1
    sender, index, timestamp, text, rating, created_at = rows[0]
    assert (sender, index, rating) == ("conversation-a", 2, "down")
    assert timestamp == rated.timestamp and text == rated.text and created_at
    assert conversations.delete_conversation(url, "conversation-a").feedback == 1
    assert feedback.ratings(url, "conversation-a") == {}
    assert feedback.ratings(url, "conversation-b") == {2: "up"}


def test_feedback_refuses_an_unknown_rating(db):
    url, _ = db
    feedback.create_feedback_table(url)
    rated = conversations.answer(url, "conversation-a", 1)
    with pytest.raises(ValueError):
        feedback.save_rating(url, "conversation-a", rated, "meh")


def test_the_ai_disclosure_of_a_session_start_belongs_to_the_next_answer(tmp_path):
    """Rasa stores a session's disclosure before the message that started the session;
    it is part of the answer to that message (also for a new session after a pause)."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

    def session(text: str, message_id: str, answer: str) -> list:
        return [
            ActionExecuted("action_session_start"),
            BotUttered("Du chattar med en chattbot.", metadata={"utter_action": DISCLOSURE}),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered(text, {"name": "greet", "confidence": 1.0}, message_id=message_id),
            BotUttered(answer),
            ActionExecuted("action_listen"),
        ]

    path = tmp_path / "tracker.db"
    events = session("hej", "m1", "Hej!") + session("är du kvar?", "m2", "Ja.")
    store_conversation(path, "two-sessions", events)
    url = f"sqlite:///{path}"
    lines = [(m.role, m.turn, m.text) for m in conversations.transcript(url, "two-sessions")]
    assert lines == [
        ("bot", 1, "Du chattar med en chattbot."),
        ("user", 1, "hej"),
        ("bot", 1, "Hej!"),
        ("bot", 2, "Du chattar med en chattbot."),
        ("user", 2, "är du kvar?"),
        ("bot", 2, "Ja."),
    ]
    first = conversations.answer(url, "two-sessions", 1)
    assert first is not None and first.text == "Du chattar med en chattbot.\nHej!"


def language_entity(value: str) -> dict:
    return {"entity": "language", "value": value, "start": 0, "end": 0}


def test_the_language_of_each_turn_and_of_its_answer(tmp_path):
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

    def said(text, intent, message_id, language=None):
        entities = [language_entity(language)] if language else []
        return UserUttered(
            text, {"name": intent, "confidence": 1.0}, entities, message_id=message_id
        )

    path = tmp_path / "tracker.db"
    store_conversation(
        path,
        "switching",
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            BotUttered("Du chattar med en chattbot.", metadata={"utter_action": DISCLOSURE}),
            said("how long does bygglov take?", "ask_promises", "m1", "en"),
            BotUttered("a1"),
            said("bygglov", "inform_service", "m2"),  # too short to tell: stays English
            BotUttered("a2"),
            said("Saanko asioida suomeksi?", "other_language", "m3", "fi"),
            BotUttered("a3"),
            said("hur lång tid tar det?", "ask_promises", "m4", "sv"),
            BotUttered("a4"),
            said("كم يستغرق", "other_language", "m5", "other"),
            BotUttered("a5"),
        ],
    )
    url = f"sqlite:///{path}"
    found = {
        message_id: conversations.turn_and_language(url, "switching", message_id)
        for message_id in ("m1", "m2", "m3", "m4", "m5", "m6")
    }
    assert found["m1"] == conversations.Turn(1, "en", "en")
    assert found["m2"] == conversations.Turn(2, None, "en")
    assert found["m3"] == conversations.Turn(3, "fi", "fi")
    assert found["m4"] == conversations.Turn(4, "sv", "sv")
    # another language: the fixed text starts in English (then Swedish)
    assert found["m5"] == conversations.Turn(5, "other", "en")
    assert found["m6"].number is None
    # a conversation whose messages never said: Swedish
    empty = conversations.turn_and_language(url, "nobody-here", "m1")
    assert empty == conversations.Turn(None, None, "sv")
    # The restored conversation marks each bubble as the live answers did; the disclosure,
    # said before the language is known, is Swedish.
    shown = [(m.role, m.text, m.lang) for m in conversations.transcript(url, "switching")]
    assert shown == [
        ("bot", "Du chattar med en chattbot.", "sv"),
        ("user", "how long does bygglov take?", "en"),
        ("bot", "a1", "en"),
        ("user", "bygglov", None),
        ("bot", "a2", "en"),
        ("user", "Saanko asioida suomeksi?", "fi"),
        ("bot", "a3", "fi"),
        ("user", "hur lång tid tar det?", "sv"),
        ("bot", "a4", "sv"),
        ("user", "كم يستغرق", "other"),
        ("bot", "a5", "en"),
    ]
