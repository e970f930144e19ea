"""Holds (*bevarande*): conversations and cases kept past the retention period, with a reason.

A conversation asked for under the principle of public access, part of a complaint, or
otherwise needed is put on hold by an admin in the review tool; the purge
(bot/store/retention.py) skips it and logs how many it skipped, until it is released.
A case (a citizen's report, bot/store/cases.py) is put on hold the same way by staff with
case access, in Ärenden; the case purge (CASE_RETENTION_DAYS) keeps it and logs that it
did. The `conversation_holds` and `case_holds` tables live in the tracker database beside
Rasa's `events`.
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
    reason = _checked_reason(reason)
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


# Cases (bot/store/cases.py) on hold: a closed case the purge (CASE_RETENTION_DAYS) keeps
# while it is part of a complaint, a request for public records or a supervisory matter.
# Keyed by the case number (never reused, see `case_numbers`).
case_holds = sa.Table(
    "case_holds",
    _metadata,
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("held_by", sa.String(255), nullable=False),
    sa.Column("held_at", sa.Float, nullable=False),  # seconds since the epoch
)


@dataclass(frozen=True)
class CaseHold:
    number: str
    reason: str
    held_by: str
    held_at: float


def _checked_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise HoldError("hold_reason_missing")
    if len(reason) > MAX_REASON_CHARS:
        raise HoldError("hold_reason_too_long")
    return reason


def hold_case(engine: Engine, number: str, reason: str, held_by: str) -> CaseHold:
    """Put a case on hold (or change the reason of its hold)."""
    reason = _checked_reason(reason)
    case_holds.create(engine, checkfirst=True)
    held = CaseHold(number, reason, held_by, time.time())
    with engine.begin() as connection:
        connection.execute(case_holds.delete().where(case_holds.c.number == number))
        connection.execute(
            case_holds.insert().values(
                number=number, reason=reason, held_by=held_by, held_at=held.held_at
            )
        )
    return held


def release_case(engine: Engine, number: str) -> bool:
    """Release a case's hold; False if it was not on hold."""
    if not sa.inspect(engine).has_table(case_holds.name):
        return False
    with engine.begin() as connection:
        deleted = connection.execute(case_holds.delete().where(case_holds.c.number == number))
        return deleted.rowcount > 0


def case_hold_of(engine: Engine, number: str) -> CaseHold | None:
    if not sa.inspect(engine).has_table(case_holds.name):
        return None
    with engine.connect() as connection:
        row = connection.execute(sa.select(case_holds).where(case_holds.c.number == number)).first()
    return CaseHold(row.number, row.reason, row.held_by, row.held_at) if row else None


def all_case_holds(engine: Engine) -> dict[str, CaseHold]:
    """Every case hold, by case number."""
    if not sa.inspect(engine).has_table(case_holds.name):
        return {}
    with engine.connect() as connection:
        rows = connection.execute(sa.select(case_holds)).all()
    return {r.number: CaseHold(r.number, r.reason, r.held_by, r.held_at) for r in rows}


def held_case_numbers(connection: Connection) -> set[str]:
    """Every case on hold (none if the table does not exist yet)."""
    if not sa.inspect(connection).has_table(case_holds.name):
        return set()
    return set(connection.execute(sa.select(case_holds.c.number)).scalars())
