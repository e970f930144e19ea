"""Is Kundtjänst open right now? Swedish time, weekends and public holidays.

Knows nothing of Rasa. Hours come from data/municipality.yml: weekdays, and shorter
hours on a weekday before a public holiday ("dag före röd dag"). Public holidays come
from the `holidays` package (Sweden, without counting every Sunday as a holiday).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from bot.core.catalog import OpeningHours
from bot.names import TIME_ZONE

STOCKHOLM = ZoneInfo(TIME_ZONE)


@dataclass(frozen=True)
class OpenStatus:
    is_open: bool
    # While open: when it closes today. While closed: when it next opens.
    until: datetime | None = None
    next_open: datetime | None = None


@lru_cache(maxsize=16)
def _red_days(year: int) -> frozenset[date]:
    # The countries are loaded lazily into the package (holidays' EntityLoader): real at run
    # time, invisible to a type checker.
    sweden = holidays.Sweden(years=year, include_sundays=False)  # type: ignore[attr-defined]
    return frozenset(sweden.keys())


def is_red_day(day: date) -> bool:
    return day.weekday() == 6 or day in _red_days(day.year)


def _parse(span: str) -> tuple[time, time]:
    start, end = span.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def hours_on(day: date, hours: OpeningHours) -> tuple[time, time] | None:
    """Opening span on a given day, or None when closed all day."""
    if day.weekday() >= 5 or is_red_day(day):
        return None
    if hours.day_before_holiday and is_red_day(day + timedelta(days=1)):
        return _parse(hours.day_before_holiday)
    return _parse(hours.weekdays)


def status(hours: OpeningHours, now: datetime) -> OpenStatus:
    local = now.astimezone(STOCKHOLM)
    today = hours_on(local.date(), hours)
    if today and today[0] <= local.time() < today[1]:
        return OpenStatus(True, until=datetime.combine(local.date(), today[1], STOCKHOLM))
    day = local.date()
    for offset in range(0, 15):
        candidate = day + timedelta(days=offset)
        span = hours_on(candidate, hours)
        if span is None:
            continue
        opens = datetime.combine(candidate, span[0], STOCKHOLM)
        if opens > local:
            return OpenStatus(False, next_open=opens)
    return OpenStatus(False)


def now_in_sweden() -> datetime:
    return datetime.now(STOCKHOLM)


def today_in_sweden() -> date:
    return now_in_sweden().date()
