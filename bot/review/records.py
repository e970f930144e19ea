"""Conversations as public records (*allmänna handlingar*) handed out on request
(*utlämnande*): one conversation or every conversation of a date range, as JSON, CSV or a
printable HTML page, built from the tracker store with masking applied once more to the
citizen's messages on the way out (bot/core/redaction.py), so a message stored before
masking existed is masked too. The bot's own words are handed out as it said them.

Knows nothing of Sanic: the view (views/records.py) checks the role, audits and answers.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.core.redaction import redact
from bot.review import messages as m
from bot.review import queries
from bot.review.filters import swedish_datetime
from bot.review.views.rendering import FormulaSafeWriter
from bot.store.holds import Hold, all_holds

MAX_CONVERSATIONS = 10_000
FORMATS = ("json", "csv", "html")
ROLES = {m.USER: "invånare", m.BOT: "chattbot"}


def _iso(timestamp: float | None) -> str | None:
    moment = swedish_datetime(timestamp)
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass
class RecordMessage:
    time: str | None
    role: str
    text: str


@dataclass
class RecordConversation:
    sender_id: str
    started: str | None = None
    last: str | None = None
    on_hold: dict[str, Any] | None = None
    messages: list[RecordMessage] = field(default_factory=list)


@dataclass
class Records:
    exported_at: str
    exported_by: str
    scope: dict[str, str]
    conversations: list[RecordConversation]

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = FormulaSafeWriter(out)
        writer.writerow(["sender_id", "tid", "roll", "text", "bevaras"])
        for conversation in self.conversations:
            held = conversation.on_hold["reason"] if conversation.on_hold else ""
            for message in conversation.messages:
                writer.writerow(
                    [conversation.sender_id, message.time or "", message.role, message.text, held]
                )
        return out.getvalue()


def _hold_json(found: Hold | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"reason": found.reason, "held_by": found.held_by, "held_at": _iso(found.held_at)}


def collect(
    engine: Engine,
    sender_ids: Sequence[str],
    exported_by: str,
    scope: dict[str, str],
    now: datetime,
) -> Records:
    """The conversations' user and bot messages, oldest first within each, masked."""
    holds = all_holds(engine)
    by_sender: dict[str, RecordConversation] = {
        sender: RecordConversation(sender, on_hold=_hold_json(holds.get(sender)))
        for sender in sender_ids
    }
    for row in queries.transcript_rows(engine, list(sender_ids)):
        text = row["text"] or ""
        if not text:
            continue
        conversation = by_sender[row["sender_id"]]
        moment = _iso(row["timestamp"])
        conversation.started = conversation.started or moment
        conversation.last = moment
        if row["role"] == m.USER:  # the bot's own words (Kundtjänst's number) stay as said
            text = redact(text).text
        conversation.messages.append(
            RecordMessage(moment, ROLES.get(row["role"], row["role"]), text)
        )
    return Records(
        now.isoformat(timespec="seconds"),
        exported_by,
        scope,
        [c for c in by_sender.values() if c.messages],
    )
