"""Language identification (bot/core/message_language.py) on short citizen messages."""

from __future__ import annotations

import statistics

import pytest

from bench.language_id import (
    DATA_FILE,
    FRESH_FILE,
    LanguageScores,
    load_messages,
    names_in,
    score,
)
from bot.core.catalog import CatalogError, default_store
from bot.core.matcher import ServiceMatcher
from bot.core.message_language import (
    ENGLISH,
    FINNISH,
    OTHER,
    SAMI,
    SWEDISH,
    LanguageIdentifier,
    default_identifier,
    load_lexicon,
)


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return default_identifier()


@pytest.fixture(scope="module")
def matcher() -> ServiceMatcher:
    return ServiceMatcher(default_store().get())


@pytest.fixture(scope="module")
def labelled(identifier, matcher) -> LanguageScores:
    return score(identifier, matcher, load_messages(DATA_FILE))


def test_accuracy_floor_on_the_labelled_messages(labelled):
    scores = labelled
    for label in scores.confusion:
        assert sum(scores.confusion[label].values()) >= 300, label
        assert scores.accuracy(label) >= 0.97, (label, scores.confusion[label])


def test_swedish_without_diacritics_stays_swedish(identifier, matcher, labelled):
    assert labelled.accuracy("sv_ascii") >= 0.98, labelled.confusion["sv_ascii"]
    fresh = score(identifier, matcher, load_messages(FRESH_FILE))
    assert fresh.confusion["sv_ascii"] == {SWEDISH: 20}


def test_messages_written_after_the_tuning_are_mostly_right(identifier, matcher):
    assert score(identifier, matcher, load_messages(FRESH_FILE)).overall() >= 0.9


def test_identification_takes_well_under_a_millisecond(labelled):
    assert statistics.median(labelled.seconds) < 0.001


@pytest.mark.parametrize(
    ("text", "previous", "language", "decided"),
    [
        ("ok", ENGLISH, ENGLISH, False),
        ("ok", None, SWEDISH, False),
        ("bygglov", ENGLISH, ENGLISH, False),
        ("Bygglov?", FINNISH, FINNISH, False),
        ("123", SAMI, SAMI, False),
        ("", None, SWEDISH, False),
        ("hej", ENGLISH, SWEDISH, True),
        ("Thanks!", SWEDISH, ENGLISH, True),
        ("kiitos", None, FINNISH, True),
        ("Giitu", None, SAMI, True),
        ("how long?", SWEDISH, ENGLISH, True),
        ("hur lang tid", ENGLISH, SWEDISH, True),
        ("and if you don't keep it?", SWEDISH, ENGLISH, True),
        ("och om ni inte haller det?", ENGLISH, SWEDISH, True),
        ("how long does bygglov take", None, ENGLISH, True),
        ("kuinka kauan rakennuslupa kestää", None, FINNISH, True),
        ("Sáhtán go čállit sámegillii?", None, SAMI, True),
        ("كم يستغرق تصريح البناء؟", None, OTHER, True),
        ("ፍቓድ ህንጻ ክንደይ ግዜ ይወስድ", None, OTHER, True),
        ("Immisa waqti ayuu qaadanayaa ogolaanshaha dhismaha?", None, OTHER, True),
    ],
)
def test_short_and_marked_messages(identifier, matcher, text, previous, language, decided):
    guess = identifier.identify(text, previous, names=names_in(matcher, text))
    assert (guess.language, guess.decided) == (language, decided)


def test_a_function_word_in_two_languages_is_refused(tmp_path):
    lexicon = load_lexicon()
    broken = lexicon.copy(update={"function_words": {"sv": ["och"], "en": ["och"]}})
    with pytest.raises(CatalogError, match="och"):
        LanguageIdentifier(broken)


def test_a_broken_languages_file_names_the_file(tmp_path):
    path = tmp_path / "languages.yml"
    path.write_text("min_letters: many\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="languages.yml"):
        load_lexicon(path)


def nlu_message(text: str, intent: str, entities: list[dict] | None = None):
    from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
    from rasa.shared.nlu.training_data.message import Message

    msg = Message(data={TEXT: text})
    msg.set(INTENT, {"name": intent, "confidence": 0.8})
    msg.set(ENTITIES, entities or [])
    return msg


@pytest.mark.parametrize(
    ("text", "intent", "entities", "language", "expected_intent"),
    [
        ("Saanko asioida suomeksi?", "greet", [], "fi", "other_language"),
        ("Sáhtán go čállit sámegillii?", "nlu_fallback", [], "se", "other_language"),
        ("كم يستغرق تصريح البناء؟", "nlu_fallback", [], "other", "other_language"),
        ("and if you don't keep it?", "ask_not_kept", [], "en", "ask_not_kept"),
        ("hur lang tid tar det", "ask_promises", [], "sv", "ask_promises"),
        # a service name alone says nothing of the language: no entity, the slot stays
        (
            "bygglov",
            "inform_service",
            [{"entity": "service", "value": "bygglov", "start": 0, "end": 7}],
            None,
            "inform_service",
        ),
        ("ok", "affirm", [], None, "affirm"),
        # a button's payload is not words
        ('/ask_promises{"service": "bygglov"}', "ask_promises", [], None, "ask_promises"),
    ],
)
def test_the_nlu_component_sets_language_and_intent(
    text, intent, entities, language, expected_intent
):
    from rasa.shared.nlu.constants import ENTITIES, INTENT

    from bot.adapters.nlu import MessageLanguage

    msg = MessageLanguage({}).process([nlu_message(text, intent, entities)])[0]
    found = [e["value"] for e in msg.get(ENTITIES) if e["entity"] == "language"]
    assert found == ([language] if language else [])
    assert msg.get(INTENT)["name"] == expected_intent
