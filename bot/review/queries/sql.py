"""SQL helpers, per dialect: JSON inside `events.data` read with the database's own JSON
functions (SQLite `json_extract`/`json_each`, PostgreSQL `#>>`/`@>`), cheap `LIKE` tests on
the raw JSON text, and whether the widget's `feedback` table exists."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from bot.review import messages as m
from bot.store.feedback import feedback

SENDER_CHUNK = 500  # sender ids per IN (...) list


def is_postgres(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql"


def _sqlite_path(path: Sequence[str | int]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def json_text(engine: Engine, column: ColumnElement, path: Sequence[str | int]) -> ColumnElement:
    """The value at `path` in a JSON text column (SQL NULL if absent)."""
    if is_postgres(engine):
        return sa.cast(column, postgresql.JSON).op("#>>")(
            sa.literal("{" + ",".join(str(p) for p in path) + "}")
        )
    return sa.func.json_extract(column, _sqlite_path(path))


def json_number(engine: Engine, column: ColumnElement, path: Sequence[str | int]) -> ColumnElement:
    return sa.cast(json_text(engine, column, path), sa.Float)


def has_entity(engine: Engine, column: ColumnElement, entity: str, value: str) -> ColumnElement:
    """The user event's parse_data has entity `entity` with exactly `value`."""
    if is_postgres(engine):
        needle = json.dumps([{"entity": entity, "value": value}])
        return (
            sa.cast(column, postgresql.JSONB)
            .op("#>")(sa.literal("{parse_data,entities}"))
            .op("@>")(sa.cast(sa.literal(needle), postgresql.JSONB))
        )
    found = sa.func.json_each(column, "$.parse_data.entities").table_valued("value").alias("ent")
    return sa.exists(
        sa.select(sa.literal(1))
        .select_from(found)
        .where(
            sa.func.json_extract(found.c.value, "$.entity") == entity,
            sa.func.json_extract(found.c.value, "$.value") == value,
        )
    )


def unindexed(column: ColumnElement) -> ColumnElement:
    """The column as an expression no index can serve. For "the user messages of these
    conversations": without statistics (Rasa never runs ANALYZE) SQLite would otherwise
    walk our (type_name, ...) index over every user message instead of Rasa's sender_id
    index over these few conversations."""
    return column.op("||")("")


def like_pattern(text: str) -> str:
    """`%text%` for LIKE ... ESCAPE '\\', with the text's own % _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def raw_json_contains(column: ColumnElement, value: str, quoted: bool = False) -> ColumnElement:
    """Cheap test on the raw JSON text: does it contain `value` as Rasa wrote it
    (json.dumps escapes non-ASCII as \\uXXXX), as a whole JSON string if `quoted`?
    Used before parsing the JSON, to skip most rows cheaply. (SQLite's LIKE ignores the
    case of ASCII letters, PostgreSQL's does not: see `search_variants`.)"""
    fragment = json.dumps(value) if quoted else json.dumps(value)[1:-1]
    return column.like(like_pattern(fragment), escape="\\")


def classifier_confidence(engine: Engine, e: Any) -> ColumnElement:
    """The classifier's confidence in its best intent (see messages.Understanding)."""
    return sa.case(
        (
            e.c.intent_name == m.FALLBACK_INTENT,
            json_number(engine, e.c.data, ("parse_data", "intent_ranking", 1, "confidence")),
        ),
        else_=json_number(engine, e.c.data, ("parse_data", "intent", "confidence")),
    )


_feedback_seen: dict[str, tuple[bool, float]] = {}


def feedback_exists(engine: Engine) -> bool:
    """Whether the widget's `feedback` table exists (the web app creates it when the
    `api` feature starts). A yes is remembered; a no is checked again after 30 s."""
    key = str(engine.url)
    known = _feedback_seen.get(key)
    if known and (known[0] or time.monotonic() - known[1] < 30):
        return known[0]
    exists = sa.inspect(engine).has_table(feedback.name)
    _feedback_seen[key] = (exists, time.monotonic())
    return exists


def chunks(items: Sequence[str], size: int = SENDER_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
