"""One conversation: its transcript with tags, notes, marks, ratings and verdicts; one
user message by event id; and the messages of many conversations for the CSV export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql.elements import ColumnElement

from bot.review import messages as m
from bot.review.queries.sql import chunks, feedback_exists, unindexed
from bot.review.tables import events, marks, nlu_verdicts, notes, tags
from bot.store.feedback import feedback

# --- one conversation ----------------------------------------------------------------------------


@dataclass
class Note:
    id: int
    event_id: int | None
    text: str
    created_by: str
    created_at: float


@dataclass
class Line:
    """One line of a transcript: a user message, a bot message or an action."""

    event_id: int
    kind: str  # messages.USER, BOT, ACTION or SESSION_STARTED
    timestamp: float | None
    turn: int
    said: m.Understanding | None = None  # user messages
    bot: m.BotMessage | None = None  # bot messages
    action: str | None = None  # actions
    rating: str | None = None  # feedback on the answer this bot line starts
    notes: list[Note] = field(default_factory=list)


@dataclass
class Transcript:
    sender_id: str
    lines: list[Line]
    tags: list[str]
    notes: list[Note]  # on the whole conversation
    reviewed_by: str | None
    reviewed_at: float | None
    ratings: dict[int, str]  # turn -> up/down
    verdicts: dict[int, tuple[str, str | None, str | None]]  # event id -> status, intent, service

    @property
    def started(self) -> float | None:
        return next((line.timestamp for line in self.lines), None)

    @property
    def disclosures(self) -> list[float | None]:
        """When the bot said it is an automated chatbot, not a person (once per session)."""
        return [
            line.timestamp
            for line in self.lines
            if line.bot is not None and line.bot.response == m.AI_DISCLOSURE
        ]


def transcript(engine: Engine, sender_id: str) -> Transcript | None:
    """Every user message, bot message and action of one conversation (not
    action_listen), oldest first; None if the tracker store has no such conversation."""
    e = events
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(e.c.id, e.c.type_name, e.c.timestamp, e.c.action_name, e.c.data)
            .where(*_of_conversation(sender_id))
            .order_by(e.c.id)
        ).all()
        if not rows:
            return None
        tag_list = (
            connection.execute(
                sa.select(tags.c.tag).where(tags.c.sender_id == sender_id).order_by(tags.c.tag)
            )
            .scalars()
            .all()
        )
        note_rows = connection.execute(
            sa.select(notes).where(notes.c.sender_id == sender_id).order_by(notes.c.id)
        ).all()
        mark = connection.execute(sa.select(marks).where(marks.c.sender_id == sender_id)).first()
        verdict_rows = connection.execute(
            sa.select(
                nlu_verdicts.c.event_id,
                nlu_verdicts.c.status,
                nlu_verdicts.c.intent,
                nlu_verdicts.c.service,
            ).where(nlu_verdicts.c.sender_id == sender_id)
        ).all()
        ratings = _ratings(engine, connection, sender_id)
    lines = _lines(rows, ratings)
    return Transcript(
        sender_id=sender_id,
        lines=lines,
        tags=list(tag_list),
        notes=_attach_notes(lines, note_rows),
        reviewed_by=mark.reviewed_by if mark else None,
        reviewed_at=mark.reviewed_at if mark else None,
        ratings=ratings,
        verdicts={r.event_id: (r.status, r.intent, r.service) for r in verdict_rows},
    )


def conversation_exists(engine: Engine, sender_id: str) -> bool:
    """Whether `transcript` would find this conversation, without reading it."""
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(sa.literal_column("1")).where(*_of_conversation(sender_id)).limit(1)
        ).first()
    return found is not None


def _of_conversation(sender_id: str) -> tuple[ColumnElement, ...]:
    """The events of one conversation that a transcript shows (or skips: action_listen)."""
    e = events
    return (
        e.c.sender_id == sender_id,
        unindexed(e.c.type_name).in_((m.USER, m.BOT, m.ACTION, m.SESSION_STARTED)),
    )


def _ratings(engine: Engine, connection: Connection, sender_id: str) -> dict[int, str]:
    """Turn -> up/down, from the widget's `feedback` table (none if it does not exist)."""
    if not feedback_exists(engine):
        return {}
    return dict(
        connection.execute(
            sa.select(feedback.c.message_index, feedback.c.rating).where(
                feedback.c.sender_id == sender_id
            )
        ).all()
    )


def _lines(rows: Sequence[Row], ratings: dict[int, str]) -> list[Line]:
    """The transcript's lines, numbered by turn; a rating goes on the first bot line of
    its turn."""
    lines: list[Line] = []
    turn = 0
    rated_turns: set[int] = set()
    for row in rows:
        data = m.load(row.data)
        if row.type_name == m.USER:
            turn += 1
            lines.append(Line(row.id, m.USER, row.timestamp, turn, said=m.understanding(data)))
        elif row.type_name == m.BOT:
            line = Line(row.id, m.BOT, row.timestamp, turn, bot=m.bot_message(data))
            if turn in ratings and turn not in rated_turns:
                line.rating = ratings[turn]
                rated_turns.add(turn)
            lines.append(line)
        elif row.type_name == m.ACTION:
            if row.action_name and row.action_name != m.ACTION_LISTEN:
                lines.append(Line(row.id, m.ACTION, row.timestamp, turn, action=row.action_name))
        else:
            lines.append(Line(row.id, m.SESSION_STARTED, row.timestamp, turn))
    return lines


def _attach_notes(lines: list[Line], note_rows: Sequence[Row]) -> list[Note]:
    """Puts each note on its line; returns the notes on the whole conversation."""
    by_event = {line.event_id: line for line in lines}
    general: list[Note] = []
    for row in note_rows:
        note = Note(row.id, row.event_id, row.text, row.created_by, row.created_at)
        if row.event_id in by_event:
            by_event[row.event_id].notes.append(note)
        else:
            general.append(note)
    return general


def user_message(engine: Engine, event_id: int) -> tuple[str, m.Understanding] | None:
    """The sender id and NLU result of one user message, by event id."""
    e = events
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(e.c.sender_id, e.c.data).where(e.c.id == event_id, e.c.type_name == m.USER)
        ).first()
    if row is None:
        return None
    return row.sender_id, m.understanding(m.load(row.data))


# --- CSV export ----------------------------------------------------------------------------------


def transcript_rows(engine: Engine, sender_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
    """One dict per user or bot message of these conversations (for the CSV export)."""
    e = events
    with engine.connect() as connection:
        for chunk in chunks(list(sender_ids)):
            order = {sender: n for n, sender in enumerate(chunk)}
            result = connection.execute(
                sa.select(e.c.id, e.c.sender_id, e.c.type_name, e.c.timestamp, e.c.data)
                .where(e.c.sender_id.in_(chunk), unindexed(e.c.type_name).in_((m.USER, m.BOT)))
                .order_by(e.c.id)
            ).all()
            for row in sorted(result, key=lambda r: (order[r.sender_id], r.id)):
                data = m.load(row.data)
                if row.type_name == m.USER:
                    said = m.understanding(data)
                    yield {
                        "sender_id": row.sender_id,
                        "event_id": row.id,
                        "timestamp": row.timestamp,
                        "role": m.USER,
                        "text": said.text,
                        "intent": said.intent or "",
                        "confidence": said.confidence,
                        "services": " ".join(said.services),
                    }
                else:
                    bot = m.bot_message(data)
                    yield {
                        "sender_id": row.sender_id,
                        "event_id": row.id,
                        "timestamp": row.timestamp,
                        "role": m.BOT,
                        "text": bot.text or "",
                        "intent": "",
                        "confidence": None,
                        "services": "",
                    }
