from datetime import datetime, timezone

import pytest

from bot.core.catalog import OpeningHours
from bot.core.clock import STOCKHOLM, status

HOURS = OpeningHours(weekdays="07:00-17:00", day_before_holiday="07:00-16:00")


def at(*args):
    return datetime(*args, tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (at(2026, 11, 25, 7, 0), True),  # Wednesday, opening minute
        (at(2026, 11, 25, 16, 59), True),
        (at(2026, 11, 25, 17, 0), False),
        (at(2026, 11, 25, 6, 59), False),
        (at(2026, 11, 28, 12, 0), False),  # Saturday
        (at(2026, 11, 29, 12, 0), False),  # Sunday
        (at(2026, 12, 25, 12, 0), False),  # juldagen
        (at(2026, 6, 5, 16, 30), False),  # day before nationaldagen: closes 16
        (at(2026, 6, 5, 15, 30), True),
    ],
)
def test_open_or_closed(now, is_open):
    assert status(HOURS, now).is_open is is_open


def test_utc_input_is_read_as_swedish_time():
    # 06:30 UTC in November is 07:30 in Sweden: open.
    assert status(HOURS, datetime(2026, 11, 25, 6, 30, tzinfo=timezone.utc)).is_open


def test_after_friday_closing_next_open_is_monday_morning():
    result = status(HOURS, at(2026, 11, 27, 18, 0))
    assert result.next_open == at(2026, 11, 30, 7, 0)


def test_while_open_it_says_when_it_closes():
    assert status(HOURS, at(2026, 6, 5, 9, 0)).until == at(2026, 6, 5, 16, 0)
