"""What reviewers add to conversations: tags, notes, the reviewed mark, and verdicts on
user messages in the NLU inbox (data access only; the views check roles and CSRF)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.names import EVENT_USER
from bot.review.tables import CONFIRMED, DISMISSED, events, marks, nlu_verdicts, notes, tags

TAG_PATTERN = re.compile(r"[\w åäöÅÄÖ.-]{1,64}")  # fullmatch: no trailing newline
MAX_NOTE = 4000
MAX_EXAMPLE = 500


class AnnotationError(ValueError):
    """Input we refuse; `code` selects the Swedish message in the templates."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def clean_tag(tag: str) -> str:
    tag = " ".join(tag.split()).lower()
    if not TAG_PATTERN.fullmatch(tag):
        raise AnnotationError("bad_tag")
    return tag


def add_tag(engine: Engine, sender_id: str, tag: str, username: str) -> str:
    tag = clean_tag(tag)
    with engine.begin() as connection:
        exists = connection.execute(
            sa.select(tags.c.id).where(tags.c.sender_id == sender_id, tags.c.tag == tag)
        ).first()
        if not exists:
            connection.execute(
                tags.insert().values(
                    sender_id=sender_id, tag=tag, created_by=username, created_at=time.time()
                )
            )
    return tag


def remove_tag(engine: Engine, sender_id: str, tag: str) -> bool:
    with engine.begin() as connection:
        result = connection.execute(
            tags.delete().where(tags.c.sender_id == sender_id, tags.c.tag == tag)
        )
    return result.rowcount > 0


def all_tags(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(sa.select(tags.c.tag).distinct().order_by(tags.c.tag)).scalars()
        )


def add_note(
    engine: Engine, sender_id: str, text: str, username: str, event_id: int | None = None
) -> None:
    text = text.strip()
    if not text:
        raise AnnotationError("empty_note")
    if len(text) > MAX_NOTE:
        raise AnnotationError("note_too_long")
    with engine.begin() as connection:
        connection.execute(
            notes.insert().values(
                sender_id=sender_id,
                event_id=event_id,
                text=text,
                created_by=username,
                created_at=time.time(),
            )
        )


def set_reviewed(engine: Engine, sender_id: str, username: str, reviewed: bool = True) -> None:
    with engine.begin() as connection:
        connection.execute(marks.delete().where(marks.c.sender_id == sender_id))
        if reviewed:
            connection.execute(
                marks.insert().values(
                    sender_id=sender_id, reviewed_by=username, reviewed_at=time.time()
                )
            )


@dataclass(frozen=True)
class Verdict:
    event_id: int
    sender_id: str
    text: str
    predicted_intent: str | None
    predicted_confidence: float | None
    status: str
    intent: str | None
    service: str | None
    decided_by: str
    decided_at: float


def decide(
    engine: Engine,
    *,
    event_id: int,
    sender_id: str,
    text: str,
    predicted_intent: str | None,
    predicted_confidence: float | None,
    status: str,
    intent: str | None,
    service: str | None,
    username: str,
    intents: list[str],
    services: list[str],
) -> Verdict:
    """Record (or replace) the verdict on one user message. A confirmed example needs an
    intent from the domain; a service, if given, must be in the catalog."""
    text = " ".join(text.split())
    if status not in (CONFIRMED, DISMISSED):
        raise AnnotationError("bad_status")
    if status == CONFIRMED:
        if intent not in intents:
            raise AnnotationError("bad_intent")
        if service and service not in services:
            raise AnnotationError("bad_service")
        if not text or len(text) > MAX_EXAMPLE:
            raise AnnotationError("bad_example")
    else:
        intent = service = None
    verdict = Verdict(
        event_id,
        sender_id,
        text,
        predicted_intent,
        predicted_confidence,
        status,
        intent,
        service or None,
        username,
        time.time(),
    )
    with engine.begin() as connection:
        connection.execute(nlu_verdicts.delete().where(nlu_verdicts.c.event_id == event_id))
        connection.execute(nlu_verdicts.insert().values(**verdict.__dict__))
    return verdict


def _verdict(r: Any) -> Verdict:
    return Verdict(
        r.event_id,
        r.sender_id,
        r.text,
        r.predicted_intent,
        r.predicted_confidence,
        r.status,
        r.intent,
        r.service,
        r.decided_by,
        r.decided_at,
    )


def confirmed(engine: Engine) -> list[Verdict]:
    """Every confirmed example, oldest decision first."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(nlu_verdicts)
            .where(nlu_verdicts.c.status == CONFIRMED)
            .order_by(nlu_verdicts.c.decided_at, nlu_verdicts.c.id)
        ).all()
    return [_verdict(r) for r in rows]


def earlier_user_texts(engine: Engine, verdict: Verdict, limit: int) -> list[str]:
    """The citizen's messages just before the judged one, oldest first."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(events.c.data)
            .where(
                events.c.sender_id == verdict.sender_id,
                events.c.type_name == EVENT_USER,
                events.c.id < verdict.event_id,
            )
            .order_by(events.c.id.desc())
            .limit(limit)
        ).all()
    texts = []
    for row in reversed(rows):
        try:
            text = json.loads(row.data).get("text")
        except (TypeError, ValueError):
            continue
        if isinstance(text, str) and text.strip():
            texts.append(text)
    return texts


def recent_verdicts(engine: Engine, limit: int = 20) -> list[Verdict]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(nlu_verdicts).order_by(nlu_verdicts.c.decided_at.desc()).limit(limit)
        ).all()
    return [_verdict(r) for r in rows]
