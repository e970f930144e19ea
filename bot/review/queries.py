"""Read conversations straight from Rasa's tracker store (the `events` table).

Everything is SQLAlchemy Core with bound parameters: a filter value or search text never
becomes SQL text. JSON inside `events.data` is read with the database's own JSON
functions (SQLite `json_extract`/`json_each`, PostgreSQL `#>>`/`@>`), so the same code runs
on the default SQLite store and on PostgreSQL.

**How the list stays fast with no total count.** The list is newest first. Rather than
grouping every conversation (a full scan of the table at every page view), we read user
messages newest first along an index (`type_name, timestamp`), in growing batches, keep
the ones that pass the filters, and stop as soon as a page of distinct conversations is
full (plus one, to know that there is a next page). A conversation's place in the list is
its newest *matching* message. Costly JSON conditions sit behind a cheap `LIKE` on the raw
JSON text, so most rows are rejected without being parsed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.sql.elements import ColumnElement

from bot.review import messages as m
from bot.review.filters import NO, YES, Filters
from bot.review.tables import events, marks, nlu_verdicts, notes, tags
from bot.store.feedback import DOWN, UP, feedback

PAGE_SIZE = 50
FIRST_WINDOW = 500  # user messages in the first window of the newest-first scan
WINDOWS = 3  # windows of 500, 2,000 and 8,000 messages, then the rest at once
SENDER_CHUNK = 500  # sender ids per IN (...) list
SMALL_SET = 5_000  # conversations a tag/reviewed/thumbs-down filter reads one by one


# --- SQL helpers, per dialect --------------------------------------------------------------


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


def _chunks(items: Sequence[str], size: int = SENDER_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def search_variants(text: str, postgres: bool = False) -> list[str]:
    """Spellings of a search to look for in the raw JSON: as typed, lower case, upper
    case and capitalised. SQLite's LIKE folds ASCII case by itself, but å/Å, ö/Ö are
    different \\uXXXX escapes; PostgreSQL's LIKE folds nothing (ILIKE costs 4x more)."""
    variants: dict[str, str] = {}
    for variant in (text, text.lower(), text.upper(), text.capitalize()):
        key = json.dumps(variant)
        variants.setdefault(key if postgres else key.lower(), variant)
    return list(variants.values())


def search_matches(data: str | None, text: str) -> bool:
    return text.casefold() in m.understanding(m.load(data)).text.casefold()


# --- the newest-first scan -------------------------------------------------------------------


def stream_user_messages(
    engine: Engine,
    conditions: list[ColumnElement],
    columns: Sequence[ColumnElement] = (),
    accept: Callable[[Row], bool] | None = None,
    newest: float | None = None,
    oldest: float | None = None,
) -> Iterator[Row]:
    """User messages passing `conditions`, newest first, read window by window: each
    window is the next `scan` user messages back in time (found along the (type_name,
    timestamp) index), 4x more each time; after WINDOWS windows, the rest in one query.

    Bounding the first queries to a window keeps their plan the same on every database
    and filter (PostgreSQL would otherwise guess that a JSON condition is rare and read
    the whole table instead of the newest rows); a common filter fills a page from the
    first window. A rare one ends in one query over the rest, which PostgreSQL may then
    answer with a parallel scan. Rows failing `accept` (checked in Python) are skipped.
    `newest` (exclusive) and `oldest` (inclusive) bound the times read."""
    e = events
    user = (e.c.type_name == m.USER, e.c.timestamp.isnot(None))
    scan = FIRST_WINDOW
    upper = newest
    with engine.connect() as connection:
        for window_number in range(WINDOWS + 1):
            bound = [e.c.timestamp < upper] if upper is not None else []
            lower = None
            if window_number < WINDOWS:
                lower = connection.execute(
                    sa.select(e.c.timestamp)
                    .where(*user, *bound)
                    .order_by(e.c.timestamp.desc())
                    .offset(scan - 1)
                    .limit(1)
                ).scalar()
            last = lower is None or (oldest is not None and lower <= oldest)
            if last:
                lower = oldest
            window = bound + ([e.c.timestamp >= lower] if lower is not None else [])
            rows = connection.execute(
                sa.select(e.c.id, e.c.sender_id, e.c.timestamp, *columns)
                .where(*user, *window, *conditions)
                .order_by(e.c.timestamp.desc(), e.c.id.desc())
            ).all()
            for row in rows:
                if accept is None or accept(row):
                    yield row
            if last:
                return
            upper = lower
            scan *= 4


def list_conditions(
    engine: Engine, filters: Filters, sender_sets: bool = True
) -> list[ColumnElement]:
    """SQL conditions on a user-message row of `events` for the list's filters; without
    the conditions on small sets of conversations (tag, reviewed, thumbs down) if not
    `sender_sets` (the caller then reads those conversations directly)."""
    e = events
    x = events.alias("x")  # other events of the same conversation (Rasa's sender index)
    postgres = is_postgres(engine)
    conditions: list[ColumnElement] = []
    start, end = filters.time_range
    if start is not None:
        conditions.append(e.c.timestamp >= start)
    if end is not None:
        conditions.append(e.c.timestamp < end)
    if filters.intent:
        conditions.append(e.c.intent_name == filters.intent)
    if filters.service:
        conditions.append(raw_json_contains(e.c.data, filters.service, quoted=True))
        conditions.append(has_entity(engine, e.c.data, m.SERVICE_ENTITY, filters.service))
    if filters.below is not None:
        conditions.append(classifier_confidence(engine, e) < filters.below)
    if filters.search:
        conditions.append(
            sa.or_(
                *(
                    raw_json_contains(e.c.data, variant)
                    for variant in search_variants(filters.search, postgres)
                )
            )
        )
    # Only user events have an intent_name, so these need no type_name (which would
    # tempt SQLite to the type index instead of the sender index).
    if filters.fallback:
        conditions.append(
            sa.exists(
                sa.select(x.c.id).where(
                    x.c.sender_id == e.c.sender_id,
                    sa.or_(
                        x.c.intent_name == m.FALLBACK_INTENT,
                        x.c.action_name.in_(m.FALLBACK_ACTIONS),
                    ),
                )
            )
        )
    if filters.handoff:
        conditions.append(
            sa.exists(
                sa.select(x.c.id).where(
                    x.c.sender_id == e.c.sender_id, x.c.intent_name == m.HANDOFF_INTENT
                )
            )
        )
    if filters.reviewed == NO:
        conditions.append(e.c.sender_id.not_in(sa.select(marks.c.sender_id)))
    if sender_sets:
        for selected in _sender_set_queries(engine, filters):
            conditions.append(e.c.sender_id.in_(selected))
    return conditions


def _sender_set_queries(engine: Engine, filters: Filters) -> list[sa.sql.Select]:
    """Queries for the (usually small) sets of conversations some filters select."""
    queries: list[sa.sql.Select] = []
    if filters.thumbs_down:
        if feedback_exists(engine):
            queries.append(sa.select(feedback.c.sender_id).where(feedback.c.rating == DOWN))
        else:
            queries.append(sa.select(marks.c.sender_id).where(sa.false()))
    if filters.reviewed == YES:
        queries.append(sa.select(marks.c.sender_id))
    if filters.tag:
        queries.append(sa.select(tags.c.sender_id).where(tags.c.tag == filters.tag))
    return queries


def _selected_senders(engine: Engine, filters: Filters) -> set[str] | None:
    """The conversations the set filters allow (None: no such filter, or too many to
    read one by one -- then the newest-first scan is the faster way)."""
    selected: set[str] | None = None
    with engine.connect() as connection:
        for query in _sender_set_queries(engine, filters):
            found = set(connection.execute(query.limit(SMALL_SET + 1)).scalars())
            if len(found) > SMALL_SET:
                return None
            selected = found if selected is None else selected & found
    return selected


def _rows_of(
    engine: Engine,
    senders: set[str],
    conditions: list[ColumnElement],
    columns: Sequence[ColumnElement],
) -> list[Row]:
    """The user messages of a few conversations passing `conditions`, newest first."""
    e = events
    rows: list[Row] = []
    with engine.connect() as connection:
        for chunk in _chunks(sorted(senders)):
            rows.extend(
                connection.execute(
                    sa.select(e.c.id, e.c.sender_id, e.c.timestamp, *columns).where(
                        e.c.sender_id.in_(chunk),
                        unindexed(e.c.type_name) == m.USER,
                        e.c.timestamp.isnot(None),
                        *conditions,
                    )
                ).all()
            )
    rows.sort(key=lambda r: (r.timestamp, r.id), reverse=True)
    return rows


def matching_senders(
    engine: Engine, filters: Filters, skip: int = 0, limit: int | None = None
) -> list[str]:
    """Conversations passing the filters, newest matching message first."""
    columns: list[ColumnElement] = []
    accept = None
    if filters.search:
        columns.append(events.c.data)
        search = filters.search

        def accept(row: Row) -> bool:
            return search_matches(row.data, search)

    selected = _selected_senders(engine, filters)
    if selected is not None:
        conditions = list_conditions(engine, filters, sender_sets=False)
        rows: Iterator[Row] = (
            r
            for r in _rows_of(engine, selected, conditions, columns)
            if accept is None or accept(r)
        )
    else:
        start, end = filters.time_range
        rows = stream_user_messages(
            engine, list_conditions(engine, filters), columns, accept, newest=end, oldest=start
        )
    seen: set[str] = set()
    found: list[str] = []
    for row in rows:
        if row.sender_id in seen:
            continue
        seen.add(row.sender_id)
        if len(seen) <= skip:
            continue
        found.append(row.sender_id)
        if limit is not None and len(found) >= limit:
            break
    return found


# --- list rows ----------------------------------------------------------------------------------


@dataclass
class ConversationRow:
    sender_id: str
    started: float | None = None
    last: float | None = None
    user_messages: int = 0
    first_text: str = ""
    intents: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    lowest_confidence: float | None = None
    fallback: bool = False
    handoff: bool = False
    thumbs_up: int = 0
    thumbs_down: int = 0
    reviewed: bool = False
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Page:
    rows: list[ConversationRow]
    number: int
    has_next: bool
    page_size: int

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.page_size + 1


def conversation_rows(engine: Engine, sender_ids: Sequence[str]) -> list[ConversationRow]:
    """Summaries of these conversations, in the order given."""
    rows = {sender: ConversationRow(sender) for sender in sender_ids}
    if not rows:
        return []
    e = events
    with engine.connect() as connection:
        for chunk in _chunks(list(rows)):
            result = connection.execute(
                sa.select(
                    e.c.sender_id,
                    e.c.type_name,
                    e.c.timestamp,
                    e.c.intent_name,
                    e.c.action_name,
                    e.c.data,
                )
                .where(
                    e.c.sender_id.in_(chunk),
                    sa.or_(
                        unindexed(e.c.type_name) == m.USER, e.c.action_name.in_(m.FALLBACK_ACTIONS)
                    ),
                )
                .order_by(e.c.id)
            )
            for event in result:
                _add_event(rows[event.sender_id], event)
            for sender, tag in connection.execute(
                sa.select(tags.c.sender_id, tags.c.tag)
                .where(tags.c.sender_id.in_(chunk))
                .order_by(tags.c.tag)
            ):
                rows[sender].tags.append(tag)
            for (sender,) in connection.execute(
                sa.select(marks.c.sender_id).where(marks.c.sender_id.in_(chunk))
            ):
                rows[sender].reviewed = True
            if feedback_exists(engine):
                for sender, rating, count in connection.execute(
                    sa.select(feedback.c.sender_id, feedback.c.rating, sa.func.count())
                    .where(feedback.c.sender_id.in_(chunk))
                    .group_by(feedback.c.sender_id, feedback.c.rating)
                ):
                    if rating == UP:
                        rows[sender].thumbs_up = count
                    elif rating == DOWN:
                        rows[sender].thumbs_down = count
    return [rows[sender] for sender in sender_ids]


def _add_event(row: ConversationRow, event: Row) -> None:
    if event.type_name != m.USER:  # a fallback action (or its loop)
        row.fallback = True
        return
    said = m.understanding(m.load(event.data))
    row.user_messages += 1
    if row.started is None:
        row.started = event.timestamp
        row.first_text = said.text
    row.last = event.timestamp
    if said.intent and said.intent not in row.intents:
        row.intents.append(said.intent)
    for service in said.services:
        if service not in row.services:
            row.services.append(service)
    if said.confidence is not None and (
        row.lowest_confidence is None or said.confidence < row.lowest_confidence
    ):
        row.lowest_confidence = said.confidence
    row.fallback = row.fallback or said.fell_back
    row.handoff = row.handoff or said.intent == m.HANDOFF_INTENT


def list_page(
    engine: Engine, filters: Filters, number: int = 1, page_size: int = PAGE_SIZE
) -> Page:
    number = max(1, number)
    senders = matching_senders(engine, filters, skip=(number - 1) * page_size, limit=page_size + 1)
    return Page(
        conversation_rows(engine, senders[:page_size]), number, len(senders) > page_size, page_size
    )


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


def transcript(engine: Engine, sender_id: str) -> Transcript | None:
    """Every user message, bot message and action of one conversation (not
    action_listen), oldest first; None if the tracker store has no such conversation."""
    e = events
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(e.c.id, e.c.type_name, e.c.timestamp, e.c.action_name, e.c.data)
            .where(
                e.c.sender_id == sender_id,
                unindexed(e.c.type_name).in_((m.USER, m.BOT, m.ACTION, m.SESSION_STARTED)),
            )
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
        ratings: dict[int, str] = {}
        if feedback_exists(engine):
            ratings = dict(
                connection.execute(
                    sa.select(feedback.c.message_index, feedback.c.rating).where(
                        feedback.c.sender_id == sender_id
                    )
                ).all()
            )

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
    by_event = {line.event_id: line for line in lines}
    general: list[Note] = []
    for row in note_rows:
        note = Note(row.id, row.event_id, row.text, row.created_by, row.created_at)
        if row.event_id in by_event:
            by_event[row.event_id].notes.append(note)
        else:
            general.append(note)
    return Transcript(
        sender_id=sender_id,
        lines=lines,
        tags=list(tag_list),
        notes=general,
        reviewed_by=mark.reviewed_by if mark else None,
        reviewed_at=mark.reviewed_at if mark else None,
        ratings=ratings,
        verdicts={r.event_id: (r.status, r.intent, r.service) for r in verdict_rows},
    )


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


# --- NLU inbox ----------------------------------------------------------------------------------

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


# --- CSV export ----------------------------------------------------------------------------------


def transcript_rows(engine: Engine, sender_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
    """One dict per user or bot message of these conversations (for the CSV export)."""
    e = events
    with engine.connect() as connection:
        for chunk in _chunks(list(sender_ids)):
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
