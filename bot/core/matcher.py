"""Find which service a citizen's message is about, from the catalog's own words.

Knows nothing of Rasa. The Rasa NLU component in bot/adapters/nlu.py is a thin
adapter over `ServiceMatcher.find`. Because the words come from the catalog, adding a
service file (or a synonym) is all it takes to make the bot recognise it.

Matching is per token, after folding case and å/ä/ö:
- exact word;
- inflections and compounds: the message word starts with the catalog word
  ("bygglovsansökan" → "bygglov", "plogbilen" → "plog") or, for longer words, ends with
  it ("hushållssopor" → "sopor");
- typos: a small edit distance, scaled by word length ("snöröjnig" → "snöröjning").
Longer and more exact matches win; matches never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.core.catalog import Catalog
from bot.core.language import edit_distance, fold, tokens
from bot.names import ENTITY_AUTHORITY, ENTITY_SERVICE, ENTITY_UNKNOWN_SERVICE

KNOWN = ENTITY_SERVICE
UNKNOWN = ENTITY_UNKNOWN_SERVICE
AUTHORITY = ENTITY_AUTHORITY

# Scores per token: exact beats inflected beats misspelt.
_EXACT, _AFFIX, _TYPO = 3, 2, 1
_MIN_PREFIX = 4
_MIN_SUFFIX = 5
_MIN_SUFFIX_REST = 3
_MIN_INFIX = 6
_MIN_TYPO_PREFIX = 8
_MAX_INFLECTION = 4


@dataclass(frozen=True)
class ServiceMatch:
    entity: str  # KNOWN or UNKNOWN
    value: str  # a declaration id, or the name of a service without declaration
    start: int
    end: int
    text: str
    score: int


def _typo_allowance(word: str) -> int:
    if len(word) >= 10:
        return 2
    if len(word) >= 6:
        return 1
    return 0


@lru_cache(maxsize=65536)
def _token_score(word: str, marked: bool, phrase_word: str) -> int:
    """How well one message word matches one catalog word (0 = not at all).

    `marked`: the word was written in capitals or directly before a hyphen ("VA",
    "va-avgift"), which is what makes a two-letter abbreviation trustworthy.
    """
    if word == phrase_word:
        if len(phrase_word) <= 2:
            # "va" is both vatten och avlopp and colloquial "vad".
            return _EXACT if marked else 0
        return _EXACT
    if len(phrase_word) <= 3:
        return 0
    if len(phrase_word) >= _MIN_PREFIX and word.startswith(phrase_word):
        return _AFFIX
    if (
        len(phrase_word) >= _MIN_SUFFIX
        and word.endswith(phrase_word)
        and len(word) - len(phrase_word) >= _MIN_SUFFIX_REST
    ):
        return _AFFIX
    if len(phrase_word) >= _MIN_INFIX:
        # An inflected compound head: "snöplogningen" holds "plogning" + "en".
        index = word.find(phrase_word, _MIN_SUFFIX_REST)
        if index >= 0 and len(word) - index - len(phrase_word) <= _MAX_INFLECTION:
            return _AFFIX
    allowance = _typo_allowance(phrase_word)
    if allowance and word[0] == phrase_word[0] and len(word) >= 4:
        if edit_distance(word, phrase_word, allowance) <= allowance:
            return _TYPO
        # A misspelt inflection: compare the beginning of the word (long words only:
        # for short ones a typo plus an ending matches too much, "skotta" ~ "skattar").
        if len(phrase_word) < _MIN_TYPO_PREFIX:
            return 0
        for length in range(len(phrase_word) - allowance, len(phrase_word) + allowance + 1):
            if 0 < length < len(word):
                if edit_distance(word[:length], phrase_word, allowance) <= allowance:
                    return _TYPO
    return 0


class ServiceMatcher:
    def __init__(self, catalog: Catalog) -> None:
        phrases: list[tuple[list[str], str, str]] = []
        for declaration in catalog.declarations.values():
            words = {
                declaration.name,
                declaration.id.replace("_", " "),
                *declaration.synonyms,
                *declaration.implied_by,
            }
            for word in words:
                phrases.append((fold(word).replace("-", " ").split(), KNOWN, declaration.id))
        for service in catalog.municipality.services_without_declaration:
            for word in {service.name, *service.words}:
                phrases.append((fold(word).replace("-", " ").split(), UNKNOWN, service.name))
        for authority in catalog.authorities:
            for word in authority.words:
                phrases.append((fold(word).replace("-", " ").split(), AUTHORITY, authority.id))
        # Longest phrases first, so "bostad med särskild service" is tried before "bostad".
        self._phrases = sorted(phrases, key=lambda p: -len(p[0]))
        # The NLU pipeline asks twice per message (the masking tokenizer and the entity
        # extractor); a new catalog builds a new matcher, so the cache never goes stale.
        self._find_cached = lru_cache(maxsize=1024)(self._find)

    def find(self, text: str) -> list[ServiceMatch]:
        return list(self._find_cached(text))

    def _find(self, text: str) -> tuple[ServiceMatch, ...]:
        words = tokens(text)
        marked = [text[s:e].isupper() or text[e : e + 1] == "-" for _, s, e in words]
        # A compound written in two words ("bygg lov", "snö röjning") is tried joined.
        joined = [
            (a[0] + b[0], a[1], b[2])
            for a, b in zip(words, words[1:], strict=False)
            if len(a[0]) >= 3 and len(b[0]) >= 3
        ]
        candidates: list[tuple[int, int, int, ServiceMatch]] = []
        for phrase, entity, value in self._phrases:
            n = len(phrase)
            for i in range(len(words) - n + 1):
                window = words[i : i + n]
                scores = [
                    _token_score(w, m, p)
                    for (w, _, _), m, p in zip(window, marked[i : i + n], phrase, strict=True)
                ]
                if not all(scores):
                    continue
                start, end = window[0][1], window[-1][2]
                score = sum(scores)
                match = ServiceMatch(entity, value, start, end, text[start:end], score)
                candidates.append((score, n, -start, match))
            if n == 1:
                for word, start, end in joined:
                    score = _token_score(word, False, phrase[0])
                    if score >= _AFFIX:
                        match = ServiceMatch(entity, value, start, end, text[start:end], score)
                        candidates.append((score, 1, -start, match))
        candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
        chosen: list[ServiceMatch] = []
        for _, _, _, match in candidates:
            if any(match.start < c.end and c.start < match.end for c in chosen):
                continue
            chosen.append(match)
        chosen.sort(key=lambda m: m.start)
        return tuple(_dedupe(chosen))


def _dedupe(matches: list[ServiceMatch]) -> list[ServiceMatch]:
    seen: set[tuple[str, str]] = set()
    result = []
    for match in matches:
        key = (match.entity, match.value)
        if key not in seen:
            seen.add(key)
            result.append(match)
    return result
