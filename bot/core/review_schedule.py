"""When a declaration's facts are due for review again: `months` after the date they were
last reviewed (or confirmed as still right), with a warning `warn_days` before. The
review tool's content list and dashboard use it; no Rasa, no database."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from bot.core.catalog import Catalog, Declaration

DueState = Literal["overdue", "due_soon", "current"]
OVERDUE: Final = "overdue"
DUE_SOON: Final = "due_soon"
CURRENT: Final = "current"


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day where that day does not exist
    (31 January + 1 month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ReviewDue:
    declaration: Declaration
    next_review: date
    state: DueState
    today: date

    @property
    def days_left(self) -> int:
        """Negative when overdue (days since the review was due)."""
        return (self.next_review - self.today).days


def review_due(declaration: Declaration, today: date, months: int, warn_days: int) -> ReviewDue:
    next_review = add_months(declaration.reviewed, months)
    if next_review < today:
        state: DueState = OVERDUE
    elif (next_review - today).days <= warn_days:
        state = DUE_SOON
    else:
        state = CURRENT
    return ReviewDue(declaration, next_review, state, today)


def review_schedule(catalog: Catalog, today: date, months: int, warn_days: int) -> list[ReviewDue]:
    """Every declaration with its next review date, the most urgent first."""
    dues = [review_due(d, today, months, warn_days) for d in catalog.declarations.values()]
    return sorted(dues, key=lambda due: (due.next_review, due.declaration.name.lower()))
