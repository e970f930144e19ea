"""Holds (*bevarande*): conversations kept past the retention period, with a reason.

A conversation asked for under the principle of public access, part of a complaint, or
otherwise needed is put on hold by an admin in the review tool; the purge
(bot/store/retention.py) skips it and logs how many it skipped, until it is released.
The `conversation_holds` table lives in the tracker database beside Rasa's `events`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

MAX_REASON_CHARS = 500

_metadata = sa.MetaData()
holds = sa.Table(
    "conversation_holds",
    _metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("held_by", sa.String(255), nullable=False),
    sa.Column("held_at", sa.Float, nullable=False),  # seconds since the epoch
)


class HoldError(ValueError):
    """A hold that cannot be set; `code` names why (for the page's message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Hold:
    sender_id: str
    reason: str
    held_by: str
    held_at: float


def create_table(engine: Engine) -> None:
    holds.create(engine, checkfirst=True)


def hold(engine: Engine, sender_id: str, reason: str, held_by: str) -> Hold:
    """Put a conversation on hold (or change the reason of its hold)."""
    reason = " ".join(reason.split())
    if not reason:
        raise HoldError("hold_reason_missing")
    if len(reason) > MAX_REASON_CHARS:
        raise HoldError("hold_reason_too_long")
    create_table(engine)
    held = Hold(sender_id, reason, held_by, time.time())
    with engine.begin() as connection:
        connection.execute(holds.delete().where(holds.c.sender_id == sender_id))
        connection.execute(
            holds.insert().values(
                sender_id=sender_id, reason=reason, held_by=held_by, held_at=held.held_at
            )
        )
    return held


def release(engine: Engine, sender_id: str) -> bool:
    """Release a hold; False if the conversation was not on hold."""
    if not sa.inspect(engine).has_table(holds.name):
        return False
    with engine.begin() as connection:
        return connection.execute(holds.delete().where(holds.c.sender_id == sender_id)).rowcount > 0


def hold_of(engine: Engine, sender_id: str) -> Hold | None:
    if not sa.inspect(engine).has_table(holds.name):
        return None
    with engine.connect() as connection:
        row = connection.execute(sa.select(holds).where(holds.c.sender_id == sender_id)).first()
    return Hold(row.sender_id, row.reason, row.held_by, row.held_at) if row else None


def all_holds(engine: Engine) -> dict[str, Hold]:
    """Every hold, by conversation."""
    if not sa.inspect(engine).has_table(holds.name):
        return {}
    with engine.connect() as connection:
        rows = connection.execute(sa.select(holds)).all()
    return {r.sender_id: Hold(r.sender_id, r.reason, r.held_by, r.held_at) for r in rows}


def held_senders(connection: Connection) -> set[str]:
    """Every conversation on hold (none if the table does not exist yet)."""
    if not sa.inspect(connection).has_table(holds.name):
        return set()
    return set(connection.execute(sa.select(holds.c.sender_id)).scalars())
