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

Fast enough for long stories: each distinct message word is scored once against every
catalog word (and remembered across messages), and a phrase is tried only where its
first word matched (docs/BENCHMARKS.md: this was most of Rasa's CPU per message when every
phrase was tried at every position).
"""

from __future__ import annotations

from collections import defaultdict
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


def _short_in_phrase(word: str, phrase_word: str) -> int:
    """A one- or two-letter word ("i", "på") matches only itself, and only as part of a
    longer phrase ("i Luleå"): alone it would be anywhere."""
    return _EXACT if len(phrase_word) <= 2 and word == phrase_word else 0


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
        # Each phrase under its first word, with its place in that order (ties keep it).
        self._by_first_word: dict[str, list[tuple[int, list[str], str, str]]] = defaultdict(list)
        for rank, (phrase, entity, value) in enumerate(self._phrases):
            self._by_first_word[phrase[0]].append((rank, phrase, entity, value))
        self._catalog_words = sorted({word for phrase, _, _ in self._phrases for word in phrase})
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in self._catalog_words:
            self._by_initial[word[0]].append(word)
        # A new catalog builds a new matcher, so neither cache ever goes stale. The NLU
        # pipeline asks twice per message (the masking tokenizer and the entity extractor).
        self._word_scores = lru_cache(maxsize=32768)(self._scores_of_word)
        self._find_cached = lru_cache(maxsize=1024)(self._find)

    def find(self, text: str) -> list[ServiceMatch]:
        return list(self._find_cached(text))

    def _scores_of_word(self, word: str, marked: bool) -> dict[str, int]:
        """Every catalog word that this message word matches, with the score. Only catalog
        words inside it (exact, prefix, suffix, infix) or with its initial (typos) can."""
        candidates = {c for c in self._catalog_words if c in word}
        candidates.update(self._by_initial.get(word[:1], ()))
        scores = {}
        for catalog_word in candidates:
            score = _token_score(word, marked, catalog_word)
            if score:
                scores[catalog_word] = score
        return scores

    def _first_words(self, word: str, scores: dict[str, int]) -> list[tuple[str, int, bool]]:
        """The catalog words a phrase may start with at this message word: those it
        matches, and the word itself when it is short ("i" of "i Luleå"), which only
        counts inside a longer phrase (`True`)."""
        first = [(catalog_word, score, False) for catalog_word, score in scores.items()]
        if word not in scores and _short_in_phrase(word, word):
            first.append((word, _EXACT, True))
        return first

    def _find(self, text: str) -> tuple[ServiceMatch, ...]:
        words = tokens(text)
        marked = [text[s:e].isupper() or text[e : e + 1] == "-" for _, s, e in words]
        scores = [self._word_scores(w, m) for (w, _, _), m in zip(words, marked, strict=True)]
        # (score, phrase length, phrase rank, 0 = words / 1 = joined, position, match)
        candidates: list[tuple[int, int, int, int, int, ServiceMatch]] = []
        for i, first_scores in enumerate(scores):
            for first_word, first_score, short in self._first_words(words[i][0], first_scores):
                for rank, phrase, entity, value in self._by_first_word.get(first_word, ()):
                    n = len(phrase)
                    if i + n > len(words) or (short and n == 1):
                        continue
                    total = first_score
                    for k in range(1, n):
                        score = scores[i + k].get(phrase[k], 0) or _short_in_phrase(
                            words[i + k][0], phrase[k]
                        )
                        if not score:
                            break
                        total += score
                    else:
                        start, end = words[i][1], words[i + n - 1][2]
                        match = ServiceMatch(entity, value, start, end, text[start:end], total)
                        candidates.append((total, n, rank, 0, i, match))
        # A compound written in two words ("bygg lov", "snö röjning") is tried joined.
        for j, (a, b) in enumerate(zip(words, words[1:], strict=False)):
            if len(a[0]) < 3 or len(b[0]) < 3:
                continue
            start, end = a[1], b[2]
            for catalog_word, score in self._word_scores(a[0] + b[0], False).items():
                if score < _AFFIX:
                    continue
                for rank, phrase, entity, value in self._by_first_word.get(catalog_word, ()):
                    if len(phrase) == 1:
                        match = ServiceMatch(entity, value, start, end, text[start:end], score)
                        candidates.append((score, 1, rank, 1, j, match))
        # Best score, then the longer phrase, then catalog order, words before joined, left first.
        candidates.sort(key=lambda c: (-c[0], -c[1], c[2], c[3], c[4]))
        chosen: list[ServiceMatch] = []
        for *_, match in candidates:
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
