"""The citizen's own copy of a conversation ("Spara samtalet"): the transcript as stored,
so with personal data masked exactly as the tracker store keeps it, as plain text.

Labels come from the widget's texts (data/web_texts.yml); nothing here is Swedish.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.core.clock import STOCKHOLM
from bot.store.conversations import USER, TranscriptMessage

TIME_FORMAT = "%Y-%m-%d %H:%M"


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, STOCKHOLM).strftime(TIME_FORMAT)


def _card_lines(card: Mapping[str, Any], texts: Mapping[str, Any]) -> list[str]:
    lines = [str(card.get("name") or "")]
    for promise in card.get("promises") or []:
        if isinstance(promise, dict) and isinstance(promise.get("text"), str):
            commitment = promise.get("commitment")
            prefix = f"{commitment}: " if isinstance(commitment, str) and commitment else ""
            lines.append(f"  - {prefix}{promise['text']}")
    board = card.get("responsible_board")
    if isinstance(board, str) and board:
        lines.append(f"  {texts['card_board']} {board}")
    source = card.get("source_url")
    if isinstance(source, str) and source:
        lines.append(f"  {texts['card_source']} {source}")
    return [line for line in lines if line.strip()]


def conversation_text(
    messages: Sequence[TranscriptMessage], texts: Mapping[str, Any], saved_at: datetime
) -> str:
    """The conversation as the citizen can keep it: a heading, when it was saved, a note
    that personal data is masked, then each message with its time and who said it."""
    out = [
        str(texts["copy_heading"]),
        f"{texts['copy_saved']} {saved_at.astimezone(STOCKHOLM).strftime(TIME_FORMAT)}",
        str(texts["copy_masked_note"]),
        "",
    ]
    for message in messages:
        who = texts["you"] if message.role == USER else texts["bot"]
        body: list[str] = []
        if message.text:
            body.append(message.text)
        if message.custom and message.custom.get("type") == "promise_card":
            body.extend(_card_lines(message.custom, texts))
        if message.buttons:
            titles = ", ".join(b["title"] for b in message.buttons)
            body.append(f"{texts['copy_choices']} {titles}")
        if not body:
            continue
        out.append(f"[{_when(message.timestamp)}] {who} {body[0]}")
        out.extend(body[1:])
        out.append("")
    return "\n".join(out).rstrip() + "\n"
