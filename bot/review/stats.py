"""The dashboard's figures for a period, counted in the database from `events` (and the
widget's `feedback` table when it exists).

Figures are counted per Swedish calendar day (summer time included): messages, fallbacks
(intent nlu_fallback), handoffs (intent human_handoff), conversations (distinct
conversations with a message that day: one that goes on past midnight counts on both
days), intents, and the conversations that named each service (`service` entity) or a
service without declaration (`unknown_service`). A period's figures are the sums of its
days. A day that is over does not change, so its figures are kept in memory for
`cache_seconds` (default an hour, so deletions show within the hour); today's are
counted at every request.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine, Row
from sqlalchemy.sql.elements import ColumnElement

from bot.review import messages as m
from bot.review.filters import SWEDISH_TIME, start_of_day
from bot.review.queries.sql import feedback_exists, is_postgres, raw_json_contains
from bot.review.tables import events
from bot.store.feedback import DOWN, UP, feedback

TOP = 12
DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass
class Day:
    day: date
    messages: int = 0
    fallbacks: int = 0
    handoffs: int = 0
    conversations: int = 0
    intents: Counter[str] = field(default_factory=Counter)
    services: Counter[str] = field(default_factory=Counter)
    unknown_services: Counter[str] = field(default_factory=Counter)
    # conversations with a message identified in each language (sv, en, fi, se, other)
    languages: Counter[str] = field(default_factory=Counter)
    thumbs_up: int | None = None  # None: no feedback table
    thumbs_down: int | None = None
    computed_at: float = field(default_factory=time.time)


@dataclass
class Dashboard:
    start: date
    end: date  # inclusive
    days: list[Day]
    seconds: float = 0.0  # time spent counting (not reading the cache)

    def _sum(self, name: str) -> list[int]:
        return [getattr(day, name) for day in self.days]

    @property
    def labels(self) -> list[str]:
        return [f"{d.day.day}/{d.day.month}" for d in self.days]

    @property
    def messages(self) -> list[int]:
        return self._sum("messages")

    @property
    def conversations(self) -> list[int]:
        return self._sum("conversations")

    @property
    def fallbacks(self) -> list[int]:
        return self._sum("fallbacks")

    @property
    def handoffs(self) -> list[int]:
        return self._sum("handoffs")

    @property
    def fallback_rates(self) -> list[float | None]:
        return [d.fallbacks / d.messages if d.messages else None for d in self.days]

    def _top(self, name: str) -> list[tuple[str, int]]:
        total: Counter[str] = Counter()
        for day in self.days:
            total.update(getattr(day, name))
        return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]

    @property
    def top_intents(self) -> list[tuple[str, int]]:
        return self._top("intents")

    @property
    def top_services(self) -> list[tuple[str, int]]:
        return self._top("services")

    @property
    def unknown_services(self) -> list[tuple[str, int]]:
        return self._top("unknown_services")

    @property
    def languages(self) -> list[tuple[str, int]]:
        return self._top("languages")

    @property
    def total_conversations(self) -> int:
        return sum(self.conversations)

    @property
    def total_messages(self) -> int:
        return sum(self.messages)

    @property
    def total_fallbacks(self) -> int:
        return sum(self.fallbacks)

    @property
    def total_handoffs(self) -> int:
        return sum(self.handoffs)

    @property
    def fallback_rate(self) -> float | None:
        return self.total_fallbacks / self.total_messages if self.total_messages else None

    @property
    def thumbs_up(self) -> int | None:
        known = [d.thumbs_up for d in self.days if d.thumbs_up is not None]
        return sum(known) if known else None

    @property
    def thumbs_down(self) -> int | None:
        known = [d.thumbs_down for d in self.days if d.thumbs_down is not None]
        return sum(known) if known else None

    @property
    def thumbs_up_share(self) -> float | None:
        up, down = self.thumbs_up or 0, self.thumbs_down or 0
        return up / (up + down) if up + down else None


def period(
    date_from: date | None, date_to: date | None, today: date | None = None
) -> tuple[date, date]:
    """The period to show: the given days, else the last DEFAULT_DAYS days up to today;
    at most MAX_DAYS long."""
    today = today or datetime.now(SWEDISH_TIME).date()
    end = date_to or today
    start = date_from or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
    return start, end


def _entities(engine: Engine) -> tuple[Any, ColumnElement, ColumnElement]:
    """The entities of a user event as a joinable table, and their entity and value."""
    e = events
    if is_postgres(engine):
        # json, not jsonb: reading one path of the text is cheaper than converting it all.
        found = (
            sa.func.json_array_elements(
                sa.cast(e.c.data, postgresql.JSON).op("#>")(sa.literal("{parse_data,entities}"))
            )
            .table_valued("value", joins_implicitly=True)
            .alias("ent")
        )
        return (
            found,
            found.c.value.op("->>")(sa.literal("entity")),
            found.c.value.op("->>")(sa.literal("value")),
        )
    found = (
        sa.func.json_each(e.c.data, "$.parse_data.entities")
        .table_valued("value", joins_implicitly=True)
        .alias("ent")
    )
    return (
        found,
        sa.func.json_extract(found.c.value, "$.entity"),
        sa.func.json_extract(found.c.value, "$.value"),
    )


def _hour(engine: Engine, column: ColumnElement) -> ColumnElement:
    """The UTC hour of a Unix time. Swedish days begin at whole UTC hours (summer time
    too), so hours add up exactly to Swedish days."""
    if is_postgres(engine):
        return sa.cast(sa.func.floor(column / 3600), sa.BigInteger)
    return sa.cast(column / 3600, sa.Integer)  # timestamps are positive: truncation = floor


@lru_cache(maxsize=20_000)
def _day_of_hour(hour: int) -> date:
    return datetime.fromtimestamp(hour * 3600, timezone.utc).astimezone(SWEDISH_TIME).date()


class _Days:
    """The days being counted, and the Unix-time span [start, end) they cover."""

    def __init__(self, wanted: list[date]) -> None:
        self.found = {day: Day(day) for day in wanted}
        self.start = start_of_day(min(wanted))
        self.end = start_of_day(max(wanted) + timedelta(days=1))

    def of_hour(self, hour: int) -> Day | None:
        return self.found.get(_day_of_hour(int(hour)))


def _user_messages(days: _Days) -> tuple[ColumnElement, ...]:
    e = events
    return (e.c.type_name == m.USER, e.c.timestamp >= days.start, e.c.timestamp < days.end)


def _hour_of_event(engine: Engine) -> ColumnElement:
    return _hour(engine, events.c.timestamp).label("hour")


# One query builder per figure, and what adds its rows to the days.


def _messages_query(engine: Engine, days: _Days) -> sa.sql.Select:
    """User messages per hour and intent: messages, fallbacks, handoffs, intents."""
    hour = _hour_of_event(engine)
    return (
        sa.select(hour, events.c.intent_name, sa.func.count())
        .where(*_user_messages(days))
        .group_by(hour, events.c.intent_name)
    )


def _add_messages(days: _Days, rows: Iterable[Row]) -> None:
    for h, intent, n in rows:
        day = days.of_hour(h)
        if day is None:
            continue
        day.messages += int(n)
        if intent == m.FALLBACK_INTENT:
            day.fallbacks += int(n)
        elif intent == m.HANDOFF_INTENT:
            day.handoffs += int(n)
        if intent is not None:
            day.intents[str(intent)] += int(n)


def _conversations_query(engine: Engine, days: _Days) -> sa.sql.Select:
    """The conversations with a user message, per hour."""
    return (
        sa.select(_hour_of_event(engine), events.c.sender_id)
        .where(*_user_messages(days))
        .distinct()
    )


def _add_conversations(days: _Days, rows: Iterable[Row]) -> None:
    talked: set[tuple[date, str]] = set()
    for h, sender in rows:
        day = days.of_hour(h)
        if day is not None and (day.day, sender) not in talked:
            talked.add((day.day, sender))
            day.conversations += 1


def _services_query(engine: Engine, days: _Days) -> sa.sql.Select:
    """The services (known and unknown) each conversation named, and the languages its
    messages were identified in, per hour."""
    e = events
    found_entities, entity, value = _entities(engine)
    return (
        sa.select(_hour_of_event(engine), entity, value, e.c.sender_id)
        .select_from(e)
        .join(found_entities, sa.true())
        .where(
            *_user_messages(days),
            sa.or_(
                raw_json_contains(e.c.data, m.SERVICE_ENTITY, quoted=True),
                raw_json_contains(e.c.data, m.UNKNOWN_SERVICE_ENTITY, quoted=True),
                raw_json_contains(e.c.data, m.LANGUAGE_ENTITY, quoted=True),
            ),
            entity.in_((m.SERVICE_ENTITY, m.UNKNOWN_SERVICE_ENTITY, m.LANGUAGE_ENTITY)),
        )
        .distinct()
    )


def _add_services(days: _Days, rows: Iterable[Row]) -> None:
    named: set[tuple[date, str, str, str]] = set()
    for h, kind, name, sender in rows:
        day = days.of_hour(h)
        if day is None or (day.day, kind, str(name), sender) in named:
            continue
        named.add((day.day, kind, str(name), sender))
        counters = {
            m.SERVICE_ENTITY: day.services,
            m.UNKNOWN_SERVICE_ENTITY: day.unknown_services,
            m.LANGUAGE_ENTITY: day.languages,
        }
        counters[kind][str(name)] += 1


def _ratings_query(days: _Days) -> sa.sql.Select:
    """The widget's thumbs up and down given in the span (needs the `feedback` table)."""
    return sa.select(feedback.c.rating, feedback.c.created_at).where(
        feedback.c.created_at >= datetime.fromtimestamp(days.start, timezone.utc),
        feedback.c.created_at < datetime.fromtimestamp(days.end, timezone.utc),
    )


def _add_ratings(days: _Days, rows: Iterable[Row]) -> None:
    """Counted on the day the citizen rated; zero (not unknown) once the table exists."""
    for day in days.found.values():
        day.thumbs_up = day.thumbs_down = 0
    for rating, at in rows:
        moment = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        rated = days.found.get(moment.astimezone(SWEDISH_TIME).date())
        if rated is not None and rating == UP:
            rated.thumbs_up = (rated.thumbs_up or 0) + 1
        elif rated is not None and rating == DOWN:
            rated.thumbs_down = (rated.thumbs_down or 0) + 1


def count_days(engine: Engine, wanted: list[date]) -> dict[date, Day]:
    """The figures of these days, counted with a few queries over the span they cover
    (one scan of the period, whatever its length)."""
    if not wanted:
        return {}
    days = _Days(wanted)
    with engine.connect() as connection:
        _add_messages(days, connection.execute(_messages_query(engine, days)))
        _add_conversations(days, connection.execute(_conversations_query(engine, days)))
        _add_services(days, connection.execute(_services_query(engine, days)))
        if feedback_exists(engine):
            _add_ratings(days, connection.execute(_ratings_query(days)))
    return days.found


def count_day(engine: Engine, day: date) -> Day:
    return count_days(engine, [day])[day]


class DashboardCache:
    """Counted days by (database, day): days that are over are reused for `seconds`;
    the rest (and today) are counted together."""

    def __init__(self, seconds: float, max_days: int = 4_000) -> None:
        self.seconds = seconds
        self.max_days = max_days
        self._lock = threading.Lock()
        self._days: dict[tuple[str, date], Day] = {}

    def dashboard(
        self, engine: Engine, start: date, end: date, today: date | None = None
    ) -> Dashboard:
        today = today or datetime.now(SWEDISH_TIME).date()
        began = time.perf_counter()
        url = str(engine.url)
        period = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        known: dict[date, Day] = {}
        with self._lock:
            for day in period:
                cached = self._days.get((url, day))
                if cached and day < today and time.time() - cached.computed_at < self.seconds:
                    known[day] = cached
        missing = [day for day in period if day not in known and day <= today]
        counted = count_days(engine, missing)
        if self.seconds > 0:
            with self._lock:
                if len(self._days) + len(counted) > self.max_days:
                    self._days.clear()
                for day, figures in counted.items():
                    if day < today:
                        self._days[(url, day)] = figures
        known.update(counted)
        return Dashboard(
            start,
            end,
            [known.get(day) or Day(day) for day in period],
            time.perf_counter() - began if missing else 0.0,
        )
