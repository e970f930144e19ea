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
    return Hold(*_put(engine, holds, sender_id, reason, held_by))


def release(engine: Engine, sender_id: str) -> bool:
    """Release a hold; False if the conversation was not on hold."""
    return _delete(engine, holds, sender_id)


def hold_of(engine: Engine, sender_id: str) -> Hold | None:
    row = _row(engine, holds, sender_id)
    return Hold(*row) if row else None


def all_holds(engine: Engine) -> dict[str, Hold]:
    """Every hold, by conversation."""
    return {row[0]: Hold(*row) for row in _rows(engine, holds)}


def held_senders(connection: Connection) -> set[str]:
    """Every conversation on hold (none if the table does not exist yet)."""
    return _keys(connection, holds)


# One hold table's rows: (key, reason, held_by, held_at), the key its first column.
def _put(engine: Engine, table: sa.Table, key: str, reason: str, held_by: str) -> tuple:
    reason = _checked_reason(reason)
    table.create(engine, checkfirst=True)
    key_column = table.c[table.primary_key.columns.keys()[0]]
    row = (key, reason, held_by, time.time())
    with engine.begin() as connection:
        connection.execute(table.delete().where(key_column == key))
        connection.execute(table.insert().values(dict(zip(table.c.keys(), row, strict=True))))
    return row


def _delete(engine: Engine, table: sa.Table, key: str) -> bool:
    if not sa.inspect(engine).has_table(table.name):
        return False
    key_column = table.c[table.primary_key.columns.keys()[0]]
    with engine.begin() as connection:
        return connection.execute(table.delete().where(key_column == key)).rowcount > 0


def _row(engine: Engine, table: sa.Table, key: str) -> tuple | None:
    if not sa.inspect(engine).has_table(table.name):
        return None
    key_column = table.c[table.primary_key.columns.keys()[0]]
    with engine.connect() as connection:
        row = connection.execute(sa.select(table).where(key_column == key)).first()
    return tuple(row) if row else None


def _rows(engine: Engine, table: sa.Table) -> list[tuple]:
    if not sa.inspect(engine).has_table(table.name):
        return []
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(table)).all()]


def _keys(connection: Connection, table: sa.Table) -> set[str]:
    if not sa.inspect(connection).has_table(table.name):
        return set()
    key_column = table.c[table.primary_key.columns.keys()[0]]
    return set(connection.execute(sa.select(key_column)).scalars())


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
    return CaseHold(*_put(engine, case_holds, number, reason, held_by))


def release_case(engine: Engine, number: str) -> bool:
    """Release a case's hold; False if it was not on hold."""
    return _delete(engine, case_holds, number)


def case_hold_of(engine: Engine, number: str) -> CaseHold | None:
    row = _row(engine, case_holds, number)
    return CaseHold(*row) if row else None


def all_case_holds(engine: Engine) -> dict[str, CaseHold]:
    """Every case hold, by case number."""
    return {row[0]: CaseHold(*row) for row in _rows(engine, case_holds)}


def held_case_numbers(connection: Connection) -> set[str]:
    """Every case on hold (none if the table does not exist yet)."""
    return _keys(connection, case_holds)
