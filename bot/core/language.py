"""Swedish text normalisation shared by the service matcher and the NLU component.

Citizens type on phones: lowercase, without å/ä/ö, with typos. Everything that compares
words folds them first, so "Snöröjningen", "snorojningen" and "SNÖRÖJNINGEN" are one word.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import OSA

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
    """Damerau-Levenshtein (optimal string alignment) distance; anything above `limit` is
    `limit + 1`. RapidFuzz's C implementation: the matcher asks this for many word pairs."""
    return min(OSA.distance(a, b, score_cutoff=limit), limit + 1)


def typo_allowance(word: str) -> int:
    """How many typos a word of this length may carry and still be recognised."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0
