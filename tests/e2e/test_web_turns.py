"""Several messages of one conversation at once through the real web app, Rasa and the
action server: each answer's `turn` (what a thumb rates) is the turn of the message it
answers. It used to be the number of user messages stored when the answer came back, so
with 20 messages at once 19 answers carried another message's turn."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow

MESSAGES = 10  # within the web app's 20 messages a minute per conversation


def post_chat(web_url: str, token: str | None, text: str) -> dict:
    body = {"message": text} if token is None else {"token": token, "message": text}
    request = urllib.request.Request(
        f"{web_url}/api/chat",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_concurrent_messages_each_get_the_turn_of_their_own_message(running_bot):
    first = post_chat(running_bot.web_url, None, "hej")  # the server makes the conversation
    token = first["token"]
    texts = [f"hej {i}" for i in range(MESSAGES)]
    with ThreadPoolExecutor(MESSAGES) as pool:
        answers = list(pool.map(lambda text: post_chat(running_bot.web_url, token, text), texts))

    request = urllib.request.Request(
        f"{running_bot.web_url}/api/conversation", headers={"X-Conversation-Token": token}
    )
    with urllib.request.urlopen(request) as response:
        stored = json.loads(response.read())["messages"]
    stored_turn = {m["text"]: m["turn"] for m in stored if m["role"] == "user"}
    assert first["turn"] == stored_turn["hej"] == 1
    assert sorted(stored_turn.values()) == list(range(1, MESSAGES + 2))
    assert {text: answer["turn"] for text, answer in zip(texts, answers, strict=True)} == {
        text: stored_turn[text] for text in texts
    }
