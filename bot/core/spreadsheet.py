"""Text made safe for a spreadsheet: every CSV the bot writes (the review tool's exports,
the open data) goes through `FormulaSafeWriter`, so no cell runs as a formula."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

# What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Text opened in a spreadsheet must not run as a formula: a leading `'` shows it as
    text. Any cell may hold what a citizen sent (entity values, ids, messages)."""
    return "'" + text if text[:1] in FORMULA_STARTS else text


class FormulaSafeWriter:
    """csv.writer that neutralises every text cell of every row, so that no column, now
    or added later, can carry a live formula into the spreadsheet."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_safe(cell) if isinstance(cell, str) else cell for cell in row])
