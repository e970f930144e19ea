"""Review dates: when a declaration is due again, and confirmed dates laid over the catalog
(the store follows a dates source, rebuilding only when its version changes, and keeps the
dates it has when the source fails)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pytest

from bot.core.catalog import CatalogStore, with_reviewed_dates
from bot.core.review_schedule import (
    CURRENT,
    DUE_SOON,
    OVERDUE,
    add_months,
    review_due,
    review_schedule,
)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 11, 15), 2, date(2025, 1, 15)),
        (date(2024, 5, 1), 12, date(2025, 5, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_due_states(catalog):
    bygglov = catalog.declarations["bygglov"].copy(update={"reviewed": date(2025, 1, 10)})
    assert review_due(bygglov, date(2025, 11, 1), 12, 30).state == CURRENT
    soon = review_due(bygglov, date(2025, 12, 11), 12, 30)
    assert (soon.state, soon.next_review, soon.days_left) == (DUE_SOON, date(2026, 1, 10), 30)
    assert review_due(bygglov, date(2026, 1, 10), 12, 30).state == DUE_SOON  # due today
    late = review_due(bygglov, date(2026, 1, 11), 12, 30)
    assert (late.state, late.days_left) == (OVERDUE, -1)
    assert review_due(bygglov, date(2025, 11, 1), 6, 30).state == OVERDUE  # configurable


def test_the_schedule_lists_every_declaration_most_urgent_first(catalog):
    dues = review_schedule(catalog, date(2026, 12, 1), 12, 30)
    assert {d.declaration.id for d in dues} == set(catalog.declarations)
    assert [d.next_review for d in dues] == sorted(d.next_review for d in dues)


def test_a_confirmed_date_replaces_an_older_one_and_is_exact(catalog):
    overlaid = with_reviewed_dates(
        catalog, {"bygglov": date(2026, 11, 30), "snorojning": date(2000, 1, 1), "nej": date.max}
    )
    assert overlaid.declarations["bygglov"].reviewed == date(2026, 11, 30)
    assert overlaid.declarations["bygglov"].reviewed_approximate is False
    assert overlaid.declarations["bygglov"].promises == catalog.declarations["bygglov"].promises
    # An older confirmation than the file's own date does not move it back.
    assert overlaid.declarations["snorojning"] == catalog.declarations["snorojning"]
    assert "nej" not in overlaid.declarations
    assert catalog.declarations["bygglov"].reviewed != date(2026, 11, 30)  # not changed


class Dates:
    def __init__(self) -> None:
        self.current: dict[str, date] = {}
        self.number = 0
        self.reads = 0
        self.broken = False

    def version(self) -> int:
        if self.broken:
            raise OSError("database down")
        return self.number

    def dates(self) -> Mapping[str, date]:
        self.reads += 1
        return dict(self.current)


def test_the_store_follows_confirmed_dates_when_their_version_changes():
    store = CatalogStore(check_interval=3600)
    source = Dates()
    source.current = {"bygglov": date(2026, 11, 30)}
    source.number = 1
    store.follow(source)

    first = store.get()  # the first get after follow reads the source
    assert first.declarations["bygglov"].reviewed == date(2026, 11, 30)
    assert store.get(check_now=True) is first and source.reads == 1  # same version: no read

    source.current["bygglov"] = date(2026, 12, 1)
    source.number = 2
    assert store.get() is first  # within the check interval nothing is asked
    second = store.get(check_now=True)
    assert second.declarations["bygglov"].reviewed == date(2026, 12, 1)

    source.broken = True
    assert store.get(check_now=True) is second  # the database down: the dates stay
