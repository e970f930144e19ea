"""The conversation list: conversations passing the filters, newest first.

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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine, Row
from sqlalchemy.sql.elements import ColumnElement

from bot.review import messages as m
from bot.review.filters import NO, YES, Filters
from bot.review.queries.sql import (
    chunks,
    classifier_confidence,
    feedback_exists,
    has_entity,
    is_postgres,
    raw_json_contains,
    unindexed,
)
from bot.review.tables import events, marks, tags
from bot.store.feedback import DOWN, UP, feedback

PAGE_SIZE = 50
FIRST_WINDOW = 500  # user messages in the first window of the newest-first scan
WINDOWS = 3  # windows of 500, 2,000 and 8,000 messages, then the rest at once
SMALL_SET = 5_000  # conversations a tag/reviewed/thumbs-down filter reads one by one


# --- search ------------------------------------------------------------------------------------


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
    if filters.language:
        conditions.append(raw_json_contains(e.c.data, filters.language, quoted=True))
        conditions.append(has_entity(engine, e.c.data, m.LANGUAGE_ENTITY, filters.language))
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
        for chunk in chunks(sorted(senders)):
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
        for chunk in chunks(list(rows)):
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
