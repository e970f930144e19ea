"""The real action server and Rasa server on free ports; questions over the REST webhook."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

pytestmark = pytest.mark.slow


def ask(bot, text: str, sender: str | None = None) -> list[dict]:
    body = json.dumps({"sender": sender or uuid.uuid4().hex, "message": text}).encode()
    request = urllib.request.Request(
        f"{bot.rasa_url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_bygglov_time_comes_back_with_its_source(running_bot, catalog):
    replies = ask(running_bot, "hur lång tid tar bygglov?")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "7 arbetsdagar" in text and "8 veckor" in text
    assert catalog.declarations["bygglov"].source_url in text
    assert any(r.get("custom", {}).get("type") == "promise_card" for r in replies)


def test_snow_question_without_diacritics(running_bot):
    replies = ask(running_bot, "nar plogas gang och cykelvagarna")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "06:30" in text or "6.30" in text


def test_conversation_is_stored_in_the_sqlite_tracker_store(running_bot):
    import sqlite3

    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    ask(running_bot, "vad lovar ni om försörjningsstöd?", sender)
    db = running_bot.env["TRACKER_DB_URL"].split("sqlite:///", 1)[1]
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "select count(*) from events where sender_id = ? and type_name = 'user'", (sender,)
        ).fetchone()
    assert rows[0] == 1
