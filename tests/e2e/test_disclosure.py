"""The first reply of every conversation says that this is an automated chatbot, not a
person, and how to reach one (EU AI Act art. 50): through the REST webhook, socket.io
(when switched on) and the widget's /api/chat, on the real servers; the stored bot event
is the record the review tool shows. (The widget's own display: test_web_browser.py.)"""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from bench.harness import event_rows
from bot.core.texts import domain_response_text
from bot.names import UTTER_AI_DISCLOSURE
from tests.e2e.test_privacy_http import socketio_chat

pytestmark = pytest.mark.slow

DISCLOSURE = domain_response_text(UTTER_AI_DISCLOSURE)


def disclosures_stored(db_url: str, sender: str) -> list[dict]:
    bots = [json.loads(row.data) for row in event_rows(db_url, [sender], type_name="bot")]
    return [b for b in bots if (b.get("metadata") or {}).get("utter_action") == UTTER_AI_DISCLOSURE]


def test_the_disclosure_text_says_bot_not_person_and_gives_kundtjanst(catalog):
    assert "automatisk chattbot" in DISCLOSURE and "inte med en människa" in DISCLOSURE
    assert catalog.municipality.kundtjanst.phone in DISCLOSURE


def test_rest_first_reply_is_the_disclosure_and_only_the_first(rest, tracker_db_url):
    sender = uuid.uuid4().hex
    first = rest.ask("hur lång tid tar bygglov?", sender)
    assert first[0]["text"] == DISCLOSURE
    assert len(first) > 1  # and then the answer itself
    second = rest.ask("och om ni inte håller det?", sender)
    assert DISCLOSURE not in [r.get("text") for r in second]
    [stored] = disclosures_stored(tracker_db_url, sender)
    assert stored["text"] == DISCLOSURE


def test_socketio_first_reply_is_the_disclosure(socketio_bot):
    session_id = uuid.uuid4().hex
    received = socketio_chat(socketio_bot, session_id, ["hej"], DISCLOSURE)
    assert received[0]["text"] == DISCLOSURE
    assert len(received) > 1
    assert len(disclosures_stored(socketio_bot.env["TRACKER_DB_URL"], session_id)) == 1


def test_widget_api_first_reply_is_the_disclosure(web_bot):
    def chat(body: dict) -> dict:
        request = urllib.request.Request(
            f"{web_bot.web_url}/api/chat",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    first = chat({"message": "när töms soptunnan?"})
    assert first["messages"][0]["text"] == DISCLOSURE
    second = chat({"message": "och om ni inte gör det?", "token": first["token"]})
    assert DISCLOSURE not in [m.get("text") for m in second["messages"]]
    with urllib.request.urlopen(f"{web_bot.web_url}/api/texts", timeout=30) as response:
        assert json.loads(response.read())["texts"]["ai_disclosure"] == DISCLOSURE
