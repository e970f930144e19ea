"""The real action server and Rasa server on free ports; questions over the REST webhook."""

from __future__ import annotations

import uuid

import pytest

from bench.harness import event_rows

pytestmark = pytest.mark.slow


def test_bygglov_time_comes_back_with_its_source(rest, catalog):
    replies = rest.ask("hur lång tid tar bygglov?")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "7 arbetsdagar" in text and "8 veckor" in text
    assert catalog.declarations["bygglov"].source_url in text
    assert any(r.get("custom", {}).get("type") == "promise_card" for r in replies)


def test_snow_question_without_diacritics(rest):
    replies = rest.ask("nar plogas gang och cykelvagarna")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "06:30" in text or "6.30" in text


def test_conversation_is_stored_in_the_sqlite_tracker_store(rest, tracker_db_url):
    sender = f"e2e-{uuid.uuid4().hex[:8]}"
    rest.ask("vad lovar ni om försörjningsstöd?", sender)
    rows = event_rows(tracker_db_url, [sender], type_name="user")
    assert len(rows) == 1
