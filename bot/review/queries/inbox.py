"""The NLU inbox: user messages the bot was unsure of, or whose answer got a thumbs down."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.review import messages as m
from bot.review.queries.listing import stream_user_messages
from bot.review.queries.sql import classifier_confidence, feedback_exists, unindexed
from bot.review.tables import events, nlu_verdicts
from bot.store.feedback import DOWN, feedback

INBOX_PAGE_SIZE = 25
LOW_CONFIDENCE = "low_confidence"
FELL_BACK = "fallback"
THUMBS_DOWN = "thumbs_down"


@dataclass
class InboxItem:
    event_id: int
    sender_id: str
    timestamp: float
    said: m.Understanding
    reasons: list[str]


def _down_rated(engine: Engine) -> set[tuple[str, int]]:
    if not feedback_exists(engine):
        return set()
    with engine.connect() as connection:
        return {
            (s, i)
            for s, i in connection.execute(
                sa.select(feedback.c.sender_id, feedback.c.message_index).where(
                    feedback.c.rating == DOWN
                )
            )
        }


def inbox(
    engine: Engine, threshold: float, number: int = 1, page_size: int = INBOX_PAGE_SIZE
) -> tuple[list[InboxItem], bool]:
    """User messages the bot was unsure of (fallback, confidence below `threshold`) or
    whose answer got a thumbs down, not yet decided, newest first; and whether there is
    a next page."""
    e = events
    down = _down_rated(engine)
    down_senders = {sender for sender, _ in down}
    unsure = sa.or_(
        e.c.intent_name == m.FALLBACK_INTENT, classifier_confidence(engine, e) < threshold
    )
    candidate = unsure
    if down_senders:
        candidate = sa.or_(
            unsure,
            e.c.sender_id.in_(sa.select(feedback.c.sender_id).where(feedback.c.rating == DOWN)),
        )
    conditions = [candidate, e.c.id.not_in(sa.select(nlu_verdicts.c.event_id))]
    turns: dict[str, dict[int, int]] = {}

    def turn_of(sender: str, event_id: int) -> int:
        if sender not in turns:
            with engine.connect() as connection:
                ids = (
                    connection.execute(
                        sa.select(e.c.id)
                        .where(e.c.sender_id == sender, unindexed(e.c.type_name) == m.USER)
                        .order_by(e.c.id)
                    )
                    .scalars()
                    .all()
                )
            turns[sender] = {event: n for n, event in enumerate(ids, start=1)}
        return turns[sender].get(event_id, 0)

    skip = (max(number, 1) - 1) * page_size
    items: list[InboxItem] = []
    for row in stream_user_messages(engine, conditions, (e.c.data,)):
        said = m.understanding(m.load(row.data))
        reasons = []
        if said.fell_back:
            reasons.append(FELL_BACK)
        if said.confidence is not None and said.confidence < threshold:
            reasons.append(LOW_CONFIDENCE)
        if (
            row.sender_id in down_senders
            and (row.sender_id, turn_of(row.sender_id, row.id)) in down
        ):
            reasons.append(THUMBS_DOWN)
        if not reasons:
            continue
        if skip:
            skip -= 1
            continue
        items.append(InboxItem(row.id, row.sender_id, row.timestamp, said, reasons))
        if len(items) > page_size:
            break
    return items[:page_size], len(items) > page_size
