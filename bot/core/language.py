"""Swedish text normalisation shared by the service matcher and the NLU component.

Citizens type on phones: lowercase, without å/ä/ö, with typos. Everything that compares
words folds them first, so "Snöröjningen", "snorojningen" and "SNÖRÖJNINGEN" are one word.
"""

from __future__ import annotations

import re
import unicodedata

_FOLD = str.maketrans(
    {"å": "a", "ä": "a", "ö": "o", "é": "e", "è": "e", "ü": "u", "æ": "a", "ø": "o"}
)
_TOKEN = re.compile(r"[0-9a-zåäöéèüæø]+", re.IGNORECASE)


def fold(text: str) -> str:
    """Lowercase, fold Swedish diacritics, collapse whitespace."""
    text = unicodedata.normalize("NFC", text).lower().translate(_FOLD)
    return " ".join(text.split())


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Folded word tokens with their character offsets in the original text."""
    normalised = unicodedata.normalize("NFC", text)
    return [(fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(normalised)]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, stopping above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def typo_allowance(word: str) -> int:
    """How many typos a word of this length may carry and still be recognised."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0
