"""Several messages of one conversation at once through the real web app, Rasa and the
action server: each answer's `turn` (what a thumb rates) is the turn of the message it
answers. It used to be the number of user messages stored when the answer came back, so
with 20 messages at once 19 answers carried another message's turn.

On a loaded machine a message can miss the reply deadline (REPLY_DEADLINE_SECONDS): its
citizen gets the fault reply without a turn (no thumbs) and Rasa stores the message when
its turn ends, a little later. So the test waits until every message is stored, and
checks the turn of every answer that has one."""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.slow

MESSAGES = 10  # within the web app's 20 messages a minute per conversation
STORED_WITHIN_SECONDS = 120  # a late turn ends within Rasa's own time, not the deadline


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

    stored_turn = stored_user_turns(running_bot.web_url, token, MESSAGES + 1)
    assert first["turn"] == stored_turn["hej"] == 1
    assert sorted(stored_turn.values()) == list(range(1, MESSAGES + 2))  # none lost
    answered = {text: answer["turn"] for text, answer in zip(texts, answers, strict=True)}
    with_turn = {text: turn for text, turn in answered.items() if turn is not None}
    assert with_turn, "every answer was a fault reply: nothing left to check"
    assert with_turn == {text: stored_turn[text] for text in with_turn}


def stored_user_turns(web_url: str, token: str, expected: int) -> dict[str, int]:
    """The conversation's user messages and their turns, once `expected` are stored (or
    what is stored when STORED_WITHIN_SECONDS have passed)."""
    request = urllib.request.Request(
        f"{web_url}/api/conversation", headers={"X-Conversation-Token": token}
    )
    give_up = time.monotonic() + STORED_WITHIN_SECONDS
    while True:
        with urllib.request.urlopen(request) as response:
            stored = json.loads(response.read())["messages"]
        turns = {m["text"]: m["turn"] for m in stored if m["role"] == "user"}
        if len(turns) >= expected or time.monotonic() > give_up:
            return turns
        time.sleep(2)  # reads count against the address (RATE_LIMIT_ADDRESS_READS)
