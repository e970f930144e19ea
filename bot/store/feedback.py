"""Thumbs up/down on the bot's answers, in a `feedback` table beside Rasa's `events`.

One row per answer the citizen rated (a new rating of the same answer replaces the old
one). The answer's text and time are copied from the tracker store, not taken from the
browser, so staff can filter on what the bot really said even after retention deletes
the conversation itself. No user text is stored here.
"""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from bot.store.conversations import Answer, engine_for

UP = "up"
DOWN = "down"
RATINGS = (UP, DOWN)

metadata = sa.MetaData()
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    # Which answer: the number of the user message it answered (1 = first), and the
    # tracker timestamp of its first bot message.
    sa.Column("message_index", sa.Integer, nullable=False),
    sa.Column("message_timestamp", sa.Float),
    sa.Column("bot_text", sa.Text, nullable=False),
    sa.Column("rating", sa.String(8), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.UniqueConstraint("sender_id", "message_index", name="uq_feedback_sender_message"),
)


def create_feedback_table(db_url: str) -> None:
    metadata.create_all(engine_for(db_url), tables=[feedback])


def save_rating(db_url: str, sender_id: str, rated: Answer, rating: str) -> None:
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}")
    row = {
        "sender_id": sender_id,
        "message_index": rated.turn,
        "message_timestamp": rated.timestamp,
        "bot_text": rated.text,
        "rating": rating,
        "created_at": datetime.now(timezone.utc),
    }
    with engine_for(db_url).begin() as connection:
        connection.execute(
            feedback.delete().where(
                feedback.c.sender_id == sender_id, feedback.c.message_index == rated.turn
            )
        )
        connection.execute(feedback.insert().values(**row))


def ratings(db_url: str, sender_id: str) -> dict[int, str]:
    """The citizen's ratings in one conversation, by answer number."""
    query = sa.select(feedback.c.message_index, feedback.c.rating).where(
        feedback.c.sender_id == sender_id
    )
    with engine_for(db_url).connect() as connection:
        return {index: rating for index, rating in connection.execute(query)}
