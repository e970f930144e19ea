"""Which language a citizen's message is written in: Swedish, English, Finnish, Northern Sami
or another language.

Knows nothing of Rasa. Swedish and English are answered in full; Finnish and Northern Sami
(minority languages with rights in Skellefteå) get a fixed text in that language; any other
language gets a short English and Swedish text. Swedish is the default whenever the message
says too little: "ok", "hej" or a service name keep the conversation's language.

The steps, cheapest first:
1. a message mostly in another script (Arabic, Ge'ez, Cyrillic …) is another language;
2. a whole short phrase listed in data/languages.yml ("thanks", "kiitos", "giitu") decides;
3. Northern Sami, which no detector knows, by its letters (č đ ŋ š ŧ ž) and words;
4. too short to tell: the conversation's language;
5. lingua (an n-gram detector that ships its own models, no download) restricted to the
   Latin-script languages that matter here, and only when it is sure enough.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from pydantic import BaseModel, Field, ValidationError

from bot.core.catalog import CatalogError
from bot.names import ENTITY_LANGUAGE, INTENT_OTHER_LANGUAGE
from bot.paths import LANGUAGES_FILE

SWEDISH = "sv"
ENGLISH = "en"
FINNISH = "fi"
SAMI = "se"  # ISO 639-1 for Northern Sami
OTHER = "other"
LANGUAGES = (SWEDISH, ENGLISH, FINNISH, SAMI, OTHER)
# The languages the bot answers in full (the catalog is written in them).
ANSWERED = (SWEDISH, ENGLISH)

# Lingua's languages: ours, plus Somali (written in Latin letters by many newcomers) so that a
# Somali message is not forced into one of ours.
_DETECTED = {
    Language.SWEDISH: SWEDISH,
    Language.ENGLISH: ENGLISH,
    Language.FINNISH: FINNISH,
    Language.SOMALI: OTHER,
}
_WORD = re.compile(r"[^\W\d_]+")
# Latin letters (with every diacritic) end at U+024F; Latin Extended Additional (Vietnamese).
_LATIN_RANGES = ((0x0041, 0x024F), (0x1E00, 0x1EFF))


class LanguageLexicon(BaseModel):
    """data/languages.yml."""

    min_letters: int = Field(..., ge=1)
    min_words: int = Field(..., ge=1)
    min_confidence: float = Field(..., ge=0.0, le=1.0)
    sami_letters: str
    sami_words: list[str]
    phrases: dict[str, list[str]]
    function_words: dict[str, list[str]]

    class Config:
        extra = "forbid"


@dataclass(frozen=True)
class LanguageGuess:
    language: str
    # False when the message said too little and `language` is the conversation's (or the
    # default): the caller keeps what it had.
    decided: bool


def _is_latin(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _LATIN_RANGES)


def _without(text: str, spans: Sequence[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def _phrase_key(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


class LanguageIdentifier:
    def __init__(self, lexicon: LanguageLexicon) -> None:
        self._lexicon = lexicon
        self._sami_letters = set(lexicon.sami_letters)
        self._sami_words = {w.lower() for w in lexicon.sami_words}
        self._phrases = {
            _phrase_key(phrase): language
            for language, phrases in lexicon.phrases.items()
            for phrase in phrases
        }
        self._function_words: dict[str, str] = {}
        for language, words in lexicon.function_words.items():
            for word in words:
                other = self._function_words.setdefault(word.lower(), language)
                if other != language:
                    raise CatalogError(
                        f"{LANGUAGES_FILE}: function word {word!r} is both {other} and {language}"
                    )
        unknown = (set(lexicon.phrases) | set(lexicon.function_words)) - set(LANGUAGES)
        if unknown:
            raise CatalogError(f"{LANGUAGES_FILE}: unknown languages {sorted(unknown)}")
        # Models loaded now, not on the first message (that would take a second).
        self._detector: LanguageDetector = (
            LanguageDetectorBuilder.from_languages(*_DETECTED)
            .with_preloaded_language_models()
            .build()
        )

    def identify(
        self,
        text: str,
        previous: str | None = None,
        names: Sequence[tuple[int, int]] = (),
    ) -> LanguageGuess:
        """The message's language; `previous` is the conversation's language so far.

        `names`: spans of `text` (start, end) that name a service or an authority. They are
        Swedish words in any language ("how long does bygglov take?"), so they are left out.
        """
        default = LanguageGuess(previous if previous in LANGUAGES else SWEDISH, decided=False)
        text = unicodedata.normalize("NFC", _without(text, names))
        letters = [c for c in text if c.isalpha()]
        if not letters:
            return default
        if sum(1 for c in letters if not _is_latin(c)) * 2 > len(letters):
            return LanguageGuess(OTHER, decided=True)
        phrase = self._phrases.get(_phrase_key(text))
        if phrase:
            return LanguageGuess(phrase, decided=True)
        words = _WORD.findall(text.lower())
        if self._is_sami(letters, words):
            return LanguageGuess(SAMI, decided=True)
        if len(words) < self._lexicon.min_words:
            return default
        votes = self._votes(words)
        if len(letters) < self._lexicon.min_letters:
            return LanguageGuess(votes[0], decided=True) if votes else default
        confidences = self._detector.compute_language_confidence_values(text)
        best = confidences[0] if confidences else None
        detected = _DETECTED[best.language] if best else None
        if votes and detected not in votes:
            # The small words all point one way and the detector another: the small words
            # win (a short message of service words and one verb fools the detector).
            return LanguageGuess(votes[0], decided=True)
        if best is None or best.value < self._lexicon.min_confidence:
            return LanguageGuess(votes[0], decided=True) if votes else default
        return LanguageGuess(detected or SWEDISH, decided=True)

    def _votes(self, words: list[str]) -> list[str]:
        """The languages of the message's small words, most votes first; empty when none,
        or when two languages get the same number of votes."""
        counts: dict[str, int] = {}
        for word in words:
            language = self._function_words.get(word)
            if language:
                counts[language] = counts.get(language, 0) + 1
        ranked = sorted(counts, key=lambda language: -counts[language])
        if len(ranked) > 1 and counts[ranked[0]] == counts[ranked[1]]:
            return []
        return ranked

    def _is_sami(self, letters: list[str], words: list[str]) -> bool:
        if any(c in self._sami_letters for c in letters):
            return True
        return any(word in self._sami_words for word in words)


def reply_language(conversation_language: str | None, intent: str | None) -> str:
    """The language the bot's answer to a message is written in (the `lang` of its
    bubbles): the fixed text in Finnish or Sami for a message in that language, English
    first for another language (its text is English, then Swedish), English in an English
    conversation, and Swedish otherwise (the catalog is written in Swedish and English)."""
    if intent == INTENT_OTHER_LANGUAGE:
        if conversation_language in (FINNISH, SAMI):
            return conversation_language
        return ENGLISH
    return ENGLISH if conversation_language == ENGLISH else SWEDISH


def message_language(parse_data: dict) -> str | None:
    """The language the NLU component found in a stored user message, if it found one."""
    for entity in parse_data.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == ENTITY_LANGUAGE:
            value = entity.get("value")
            if value in LANGUAGES:
                return str(value)
    return None


def load_lexicon(path: Path = LANGUAGES_FILE) -> LanguageLexicon:
    try:
        return LanguageLexicon.parse_obj(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"{path}: {exc}") from exc


@lru_cache(maxsize=1)
def default_identifier() -> LanguageIdentifier:
    """One identifier per process (the detector's models take some memory to load)."""
    return LanguageIdentifier(load_lexicon())
