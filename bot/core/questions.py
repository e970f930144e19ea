"""What a citizen asks: the topic of a question, and which catalog texts answer it best.

Knows nothing of Rasa. The topic cues and stopwords are data (data/topics.yml); the texts
that answer are the catalog's own (promises, expectations, if-not-kept lines, contact
lines and the facts beyond the declaration). Words are compared folded (case, å/ä/ö) and
cut to a short stem, so "grannarna", "grannar" and "granne" meet, and typed without
diacritics they still do.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.catalog import Catalog, CatalogError, Declaration
from bot.core.language import fold, tokens
from bot.paths import TOPICS_FILE

# A cue word this long also matches longer words that begin with it.
_PREFIX_CUE = 5
_STEM = 6
# Swedish endings cut before comparing ("grannarna", "grannar", "granne" → "grann"),
# longest first, once, leaving at least three letters.
_SUFFIXES = (
    "arnas",
    "ernas",
    "ornas",
    "arna",
    "erna",
    "orna",
    "andet",
    "ande",
    "ende",
    "heten",
    "het",
    "ens",
    "ets",
    "na",
    "en",
    "et",
    "er",
    "ar",
    "or",
    "an",
    "as",
    "es",
    "a",
    "e",
    "n",
    "t",
    "s",
)
_MIN_WORD = 3

# Where a text of a declaration comes from.
PROMISE = "promise"
EXPECTATION = "expectation"
NOT_KEPT_LINE = "not_kept"
CONTACT_LINE = "contact"
FACT = "fact"
# The key of the municipality's general facts among the services' texts.
GENERAL = "_general"


class _TopicFile(BaseModel):
    aspect: str
    label: str
    label_en: str | None = None
    cues: list[str]
    outranks: list[str] = []

    class Config:
        extra = "forbid"


class _VocabularyFile(BaseModel):
    topics: dict[str, _TopicFile]
    stopwords: list[str]
    municipality_cues: list[str] = []

    class Config:
        extra = "forbid"


@dataclass(frozen=True)
class Topic:
    id: str
    aspect: str
    label: str
    cues: tuple[tuple[str, ...], ...]
    label_en: str | None = None
    outranks: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Vocabulary:
    topics: dict[str, Topic]
    stopwords: frozenset[str]
    municipality_cues: tuple[tuple[str, ...], ...] = ()


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = TOPICS_FILE) -> Vocabulary:
    try:
        raw = _VocabularyFile.parse_obj(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"{path}: {exc}") from exc
    topics = {
        name: Topic(
            id=name,
            aspect=topic.aspect,
            label=topic.label,
            label_en=topic.label_en,
            cues=tuple(tuple(w for w, _, _ in tokens(cue)) for cue in topic.cues if tokens(cue)),
            outranks=frozenset(topic.outranks),
        )
        for name, topic in raw.topics.items()
    }
    unknown = {o for t in topics.values() for o in t.outranks} - set(topics)
    if unknown:
        raise CatalogError(f"{path}: `outranks` names unknown topics: {sorted(unknown)}")
    return Vocabulary(
        topics=topics,
        stopwords=frozenset(fold(w) for w in raw.stopwords),
        municipality_cues=tuple(
            tuple(w for w, _, _ in tokens(cue)) for cue in raw.municipality_cues if tokens(cue)
        ),
    )


def _part_matches(word: str, part: str) -> bool:
    return word == part or (len(part) >= _PREFIX_CUE and word.startswith(part))


def _cue_matches(words: list[str], positions: dict[str, list[int]], cue: tuple[str, ...]) -> bool:
    """Whether the cue's words occur in a row; `positions`: where each word of `words` is."""
    first = cue[0]
    if len(first) >= _PREFIX_CUE:
        starts = [i for word, at in positions.items() if word.startswith(first) for i in at]
    else:
        starts = positions.get(first, [])
    n = len(cue)
    return any(
        i + n <= len(words) and all(_part_matches(words[i + k], cue[k]) for k in range(1, n))
        for i in starts
    )


def topic_scores(vocabulary: Vocabulary, text: str) -> dict[str, float]:
    """Each topic's weight in the text: the summed length of its cues found there."""
    words = [w for w, _, _ in tokens(text)]
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        positions.setdefault(word, []).append(i)
    scores: dict[str, float] = {}
    for topic in vocabulary.topics.values():
        score = sum(
            sum(len(part) for part in cue) + 2 * (len(cue) - 1)
            for cue in topic.cues
            if _cue_matches(words, positions, cue)
        )
        if score:
            scores[topic.id] = float(score)
    return scores


def addresses_municipality(vocabulary: Vocabulary, text: str) -> bool:
    """Whether the message turns to the municipality itself ("kan kommunen hjälpa?")."""
    words = [w for w, _, _ in tokens(text)]
    positions: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        positions.setdefault(word, []).append(i)
    return any(_cue_matches(words, positions, cue) for cue in vocabulary.municipality_cues)


def best_topic(vocabulary: Vocabulary, text: str) -> str | None:
    """The topic the question asks about: the heaviest of its cues, unless another topic
    found in it outranks that one (data/topics.yml `outranks`)."""
    return topic_from_scores(vocabulary, topic_scores(vocabulary, text))


def topic_from_scores(vocabulary: Vocabulary, scores: dict[str, float]) -> str | None:
    if not scores:
        return None
    best = max(scores, key=lambda name: scores[name])
    outranking = [
        name for name in scores if best in vocabulary.topics[name].outranks and name != best
    ]
    if outranking:
        return max(outranking, key=lambda name: scores[name])
    return best


def stem(word: str) -> str:
    """A folded word without its Swedish ending, cut to a few letters; numbers as they are."""
    if word.isdigit():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_WORD:
            word = word[: -len(suffix)]
            break
    return word[:_STEM]


def stems(vocabulary: Vocabulary, text: str) -> set[str]:
    """Content-word stems: folded, stopwords out, endings cut; numbers kept."""
    return {
        stem(word)
        for word, _, _ in tokens(text)
        if word not in vocabulary.stopwords and (word.isdigit() or len(word) >= _MIN_WORD)
    }


@dataclass(frozen=True)
class Item:
    """One text of a declaration that can answer a question."""

    service: str
    source: str  # PROMISE, EXPECTATION, NOT_KEPT_LINE, CONTACT_LINE, FACT
    id: str
    topic: str | None
    text: str
    keywords: tuple[str, ...] = ()
    commitment: str | None = None
    # The same text in English, where the catalog has it: its words count too, so an
    # English question meets the text it asks about ("lunch" → the meal prices).
    text_en: str = ""


def items_of(declaration: Declaration) -> list[Item]:
    return [_with_english(item, declaration) for item in _swedish_items(declaration)]


def _with_english(item: Item, declaration: Declaration) -> Item:
    en = declaration.en
    if en is None:
        return item
    index = int(item.id.rsplit("_", 1)[1]) if item.source != PROMISE and item.source != FACT else 0
    lists = {
        EXPECTATION: en.expectations,
        NOT_KEPT_LINE: en.if_not_kept,
        CONTACT_LINE: en.contact_other,
    }
    if item.source == PROMISE:
        text = en.promises.get(item.id, "")
    elif item.source == FACT:
        text = en.facts.get(item.id, "")
    else:
        texts = lists.get(item.source, [])
        text = texts[index] if index < len(texts) else ""
    return replace(item, text_en=text) if text else item


def _swedish_items(declaration: Declaration) -> list[Item]:
    service = declaration.id
    items = [
        Item(
            service,
            PROMISE,
            p.id,
            "times" if p.commitment else None,
            p.text,
            tuple(p.keywords),
            p.commitment,
        )
        for p in declaration.promises
    ]
    items += [
        Item(service, EXPECTATION, f"expectation_{i}", "duties", text)
        for i, text in enumerate(declaration.expectations)
    ]
    items += [
        Item(service, NOT_KEPT_LINE, f"not_kept_{i}", "not_kept", text)
        for i, text in enumerate(declaration.if_not_kept)
    ]
    items += [
        Item(service, CONTACT_LINE, f"contact_{i}", "contact", text)
        for i, text in enumerate(declaration.contact.other)
    ]
    items += [
        Item(service, FACT, f.id, f.topic, f.text, tuple(f.keywords)) for f in declaration.facts
    ]
    return items


@dataclass(frozen=True)
class Scored:
    score: float
    item: Item
    # How the question met the text: distinct content words in common, and whether one
    # of them is among the words the catalog lists for it (`keywords`).
    shared: int = 0
    by_keyword: bool = False

    @property
    def specific(self) -> bool:
        """More than one shared word, or a listed keyword: not a chance hit on one word."""
        return self.by_keyword or self.shared >= 2


class QuestionIndex:
    """The catalog's texts, ready to be ranked against a question.

    Rare words weigh more (inverse document frequency over every text of the catalog),
    and words a text lists as its `keywords` weigh double. Words that only say what kind
    of question it is (topic cues) count through the topic, not as shared words.
    """

    def __init__(self, catalog: Catalog, vocabulary: Vocabulary) -> None:
        self.catalog = catalog
        self.vocabulary = vocabulary
        self.items = {d.id: items_of(d) for d in catalog.declarations.values()}
        self.items[GENERAL] = [
            Item(
                GENERAL,
                FACT,
                f.id,
                f.topic,
                f.text,
                tuple(f.keywords),
                text_en=catalog.municipality.general_facts_en.get(f.id, ""),
            )
            for f in catalog.municipality.general_facts
        ]
        self._item_stems: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
        # Each keyword's stems: a keyword of several words counts only when the question
        # has all of them ("ringa flera gånger" is not met by "fler" alone).
        self._keyword_sets: dict[tuple[str, str], list[frozenset[str]]] = {}
        # The topics a text speaks to: its own, plus those whose cue words it uses
        # ("kostar 20 kronor" speaks to cost even where the catalog gives it no topic).
        self._item_topics: dict[tuple[str, str], set[str]] = {}
        document_frequency: Counter[str] = Counter()
        for items in self.items.values():
            for item in items:
                text_stems = stems(vocabulary, item.text) | stems(vocabulary, item.text_en)
                keyword_sets = [frozenset(stems(vocabulary, k)) for k in item.keywords]
                keyword_sets = [k for k in keyword_sets if k]
                if item.service != GENERAL:
                    # A declaration's keywords count word by word ("övriga cykelvägar" is
                    # met by "cykelvägarna"); only the general facts' count whole.
                    keyword_sets = [frozenset({w}) for k in keyword_sets for w in k]
                keyword_stems = set().union(*keyword_sets)
                self._item_stems[(item.service, item.id)] = (text_stems, keyword_stems)
                self._keyword_sets[(item.service, item.id)] = keyword_sets
                cued = topic_scores(vocabulary, " . ".join([item.text, *item.keywords]))
                own = {item.topic} if item.topic else set()
                self._item_topics[(item.service, item.id)] = set(cued) | own
                document_frequency.update(text_stems | keyword_stems)
        total = max(1, sum(len(items) for items in self.items.values()))
        self._idf = {s: math.log(1 + total / n) for s, n in document_frequency.items()}
        # Words that name a service (its name and synonyms) and recur in its texts say
        # nothing of which text answers: they weigh little and never make a hit specific.
        # The English name's words always name the service: they occur in few texts (only
        # the English ones), yet "building permit" says no more than "bygglov" does.
        self._name_stems = {
            d.id: self._common_within(d.id, stems(vocabulary, " . ".join([d.name, *d.synonyms])))
            | (stems(vocabulary, d.en.name) if d.en else set())
            for d in catalog.declarations.values()
        }
        # The cue words of the kinds of question a declaration answers (times, duties, not
        # kept, contact) as against the facts beyond it ("Mina sidor", "BankID", "app").
        self._kind_cue_stems = {
            stem(word)
            for topic in vocabulary.topics.values()
            if topic.aspect != "facts"
            for cue in topic.cues
            for word in cue
            if word not in vocabulary.stopwords
        }
        self._cue_stems = {
            stem(word)
            for topic in vocabulary.topics.values()
            for cue in topic.cues
            for word in cue
            if word not in vocabulary.stopwords
        }

    def _common_within(self, service: str, words: set[str]) -> set[str]:
        """Those of `words` that occur in a good share of the service's texts."""
        items = self.items.get(service, [])
        threshold = max(2, COMMON_SHARE * len(items))
        return {
            word
            for word in words
            if sum(word in self._item_stems[(service, i.id)][0] for i in items) >= threshold
        }

    def rank(
        self, service: str, question: str, topic: str | None = None, cue_words: bool = False
    ) -> list[Scored]:
        """The service's texts, most relevant to the question first (score > 0 only).

        Words that say what kind of question it is ("hur lång tid", "håller inte") are not
        its content: they count through the topic, not as shared words. With `cue_words`, only
        the cues of the kinds of question do not count (a general question's fact cues may
        be all it has: "Mina sidor", "BankID")."""
        content = stems(self.vocabulary, question)
        cues = self._kind_cue_stems if cue_words else self._cue_stems
        content -= cues
        naming = content & self._name_stems.get(service, set())
        ranked = []
        for item in self.items.get(service, []):
            text_stems, _ = self._item_stems[(item.service, item.id)]
            asked = content - naming
            # A keyword's cue words ("ringa") count through the topic, as in the question.
            by_keyword = set().union(
                *(
                    k - cues
                    for k in self._keyword_sets[(item.service, item.id)]
                    if k - cues and k - cues <= asked
                )
            )
            shared = by_keyword | (content & text_stems)
            score = sum(self._idf.get(s, 0.0) * _weight(s, by_keyword, naming) for s in shared)
            if self.speaks_to(item, topic):
                score += self.topic_bonus(topic)
            if score > 0:
                specific = len(shared - naming)
                ranked.append(Scored(score, item, specific, bool(by_keyword)))
        ranked.sort(key=lambda s: s.score, reverse=True)
        return ranked

    def topic_bonus(self, topic: str | None) -> float:
        """A text that speaks to what is asked gains this; more for a fact beyond the
        declaration ("vad kostar frukosten?" wants the text with the prices)."""
        aspect = self.vocabulary.topics[topic].aspect if topic in self.vocabulary.topics else None
        return FACT_TOPIC_BONUS if aspect == "facts" else TOPIC_BONUS

    def speaks_to(self, item: Item, topic: str | None) -> bool:
        return bool(topic) and topic in self._item_topics[(item.service, item.id)]


# How much a shared word counts: double when the text lists it as a keyword, a quarter when
# it only names the service.
NAMING_WEIGHT = 0.25
TOPIC_BONUS = 1.0
FACT_TOPIC_BONUS = 5.0
# A naming word in at least this share of a service's texts is common there.
COMMON_SHARE = 0.2


def _weight(word: str, by_keyword: set[str], naming: set[str]) -> float:
    if word in by_keyword:
        return 2.0
    return NAMING_WEIGHT if word in naming else 1.0
