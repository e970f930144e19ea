"""Did several Rasa replicas keep a conversation whole? Reads its events back from the
tracker store and checks every turn: each message sent is stored exactly once, and no
turn starts before the previous one ended (`action_listen`), which is what Rasa's lock
store guarantees when replicas share a conversation.

Used by the scaling tests (tests/e2e/test_scaling.py) and `make bench-scale`; knows nothing
of Rasa's Python API, only the `events` table it writes.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.harness import RestClient, event_rows
from bot.core.redaction import redact
from bot.names import ACTION_LISTEN, EVENT_ACTION, EVENT_BOT, EVENT_REWIND, EVENT_USER

LISTEN = ACTION_LISTEN
REWIND = EVENT_REWIND  # UserUtteranceReverted


@dataclass(frozen=True)
class StoredEvent:
    id: int
    type_name: str
    data: dict[str, Any]

    @property
    def text(self) -> str | None:
        return self.data.get("text")


def stored_events(db_url: str, sender_id: str) -> list[StoredEvent]:
    """Every event of the conversation, in the order Rasa stored them (by id)."""
    return [
        StoredEvent(row.id, row.type_name, json.loads(row.data or "{}"))
        for row in event_rows(db_url, [sender_id])
    ]


@dataclass
class Turn:
    """A user message and what followed it up to the next user message."""

    user_text: str
    bot_texts: list[str] = field(default_factory=list)
    closed: bool = False  # ended with action_listen before the next user message


def turns(stored: list[StoredEvent]) -> list[Turn]:
    """The user turns. A message Rasa re-applies after a `rewind` (the two-stage fallback
    ending: the message is stored again after UserUtteranceReverted) stays one turn."""
    found: list[Turn] = []
    rewound = False
    for event in stored:
        if event.type_name == REWIND:
            rewound = True
        elif event.type_name == EVENT_USER:
            if rewound and found and found[-1].user_text == (event.text or ""):
                found[-1].closed = False  # the same message, handled once more
            else:
                found.append(Turn(event.text or ""))
            rewound = False
        elif not found:
            continue  # the session start before the first message
        elif event.type_name == EVENT_BOT and event.text:
            found[-1].bot_texts.append(event.text)
        elif event.type_name == EVENT_ACTION and event.data.get("name") == LISTEN:
            found[-1].closed = True
    return found


@dataclass(frozen=True)
class TurnCheck:
    sent: int
    stored: int  # user messages in the tracker store
    lost: int  # sent but not stored
    duplicated: int  # stored more than once
    unexpected: int  # stored but never sent
    interleaved: int  # turns that a later message started before they ended
    mismatched: int  # turns whose stored answer is not what that message's reply said

    @property
    def whole(self) -> bool:
        return not (
            self.lost or self.duplicated or self.unexpected or self.interleaved or self.mismatched
        )

    def summary(self) -> str:
        return (
            f"{self.sent} sent, {self.stored} stored, {self.lost} lost, "
            f"{self.duplicated} duplicated, {self.interleaved} turns interleaved, "
            f"{self.mismatched} answers not matching their message"
        )


def check_turns(
    stored: list[StoredEvent], sent: list[str], replies: dict[str, list[str]] | None = None
) -> TurnCheck:
    """Compare the stored conversation with the messages sent (as stored, i.e. masked).

    `replies`, if given, maps sent texts to the texts their HTTP reply carried: every
    bot text stored in that message's turn must be among them, or the answers of two
    messages got mixed up. Leave out messages whose reply was the channel's fault reply
    (the turn then finished after the reply deadline, so the reply cannot match).
    """
    found = turns(stored)
    stored_counts = Counter(turn.user_text for turn in found)
    sent_counts = Counter(sent)
    lost = sum(max(0, n - stored_counts[text]) for text, n in sent_counts.items())
    duplicated = sum(
        max(0, n - sent_counts[text]) for text, n in stored_counts.items() if text in sent_counts
    )
    unexpected = sum(n for text, n in stored_counts.items() if text not in sent_counts)
    # The last turn may legitimately be open only if nothing came after it.
    interleaved = sum(1 for turn in found[:-1] if not turn.closed)
    mismatched = 0
    if replies is not None:
        for turn in found:
            if turn.user_text not in replies:
                continue
            said = set(replies[turn.user_text])
            # Rasa's REST channel sends a text with blank lines as several messages.
            if any(
                part not in said for text in turn.bot_texts for part in text.strip().split("\n\n")
            ):
                mismatched += 1
    return TurnCheck(len(sent), len(found), lost, duplicated, unexpected, interleaved, mismatched)


def burst(base_urls: list[str], sender: str, texts: list[str]) -> list[tuple[int, Any]]:
    """Send all `texts` to one conversation at the same moment, message i to
    base_urls[i % len(base_urls)] (so consecutive messages land on different replicas).
    Returns (status, body) per message, in the order of `texts`."""
    results: list[tuple[int, Any]] = [(0, None)] * len(texts)
    start = threading.Barrier(len(texts))

    def send(index: int) -> None:
        start.wait()  # refused, reset, timed out: status 0, counted, not raised
        results[index] = RestClient(base_urls[index % len(base_urls)]).send(texts[index], sender)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def reply_texts(body: Any) -> list[str]:
    if not isinstance(body, list):
        return []
    return [m["text"] for m in body if isinstance(m, dict) and isinstance(m.get("text"), str)]


def numbered(texts: list[str]) -> list[str]:
    """The texts made unique, so each stored message can be told apart: "… (7)"."""
    return [f"{text} ({number})" for number, text in enumerate(texts, 1)]


def burst_check(
    base_urls: list[str], db_url: str, texts: list[str], fault_reply: str
) -> tuple[list[tuple[int, Any]], TurnCheck, int]:
    """`burst` to one new conversation, then `check_turns` on what was stored (masked
    with bot.core.redaction, as the channel stores it). Returns the HTTP results, the check
    and how many replies were the channel's fault reply (answer later than the
    deadline; those turns are still checked for loss and order)."""
    sender = uuid.uuid4().hex
    results = burst(base_urls, sender, texts)
    replies: dict[str, list[str]] = {}
    late = 0
    for text, (_, body) in zip(texts, results, strict=True):
        said = reply_texts(body)
        if fault_reply in said:
            late += 1
        else:
            replies[redact(text).text] = said
    sent = [redact(text).text for text in texts]
    return results, check_turns(stored_events(db_url, sender), sent, replies), late
