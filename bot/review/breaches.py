"""The dashboard's follow-up of broken promises: cases reported per service and per
promise, per month (Swedish time), beside the conversations that asked about each service
that month, so the quality work sees which promises fail and how often compared with how
often the service is asked about."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bot.review.filters import start_of_day
from bot.review.stats import Dashboard
from bot.store.cases import case_counts_by_month


@dataclass(frozen=True)
class ServiceMonth:
    month: str  # YYYY-MM
    service_id: str
    reports: int
    questions: int  # conversations that named the service in that month (of the period)


@dataclass(frozen=True)
class PromiseMonth:
    month: str
    service_id: str
    promise_id: str
    reports: int


@dataclass
class Breaches:
    by_service: list[ServiceMonth] = field(default_factory=list)
    by_promise: list[PromiseMonth] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(row.reports for row in self.by_service)


def breaches(db_url: str, board: Dashboard) -> Breaches:
    """The period of `board` (its days, Swedish time): reported cases from the case table,
    questions from the board's daily counts of conversations per service."""
    since = datetime.fromtimestamp(start_of_day(board.start), timezone.utc)
    until = datetime.fromtimestamp(start_of_day(board.end + timedelta(days=1)), timezone.utc)
    counts = case_counts_by_month(db_url, since, until)
    questions: Counter[tuple[str, str]] = Counter()
    for day in board.days:
        for service_id, conversations in day.services.items():
            questions[(f"{day.day:%Y-%m}", service_id)] += conversations
    reports: Counter[tuple[str, str]] = Counter()
    for month, service_id, _promise_id, number in counts:
        reports[(month, service_id)] += number
    return Breaches(
        by_service=[
            ServiceMonth(month, service_id, number, questions[(month, service_id)])
            for (month, service_id), number in sorted(reports.items())
        ],
        by_promise=[PromiseMonth(*row) for row in counts],
    )
