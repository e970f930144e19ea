"""English conversations: the actions answer with the catalog's English texts and the
responses' English variations; a text without English is given in Swedish after a note
that says so; `missing_translations` lists what has no English."""

from __future__ import annotations

import pytest

from actions.fallback import ActionAskAffirmation
from actions.general import ActionListServices
from actions.service_answers import ActionAnswerService
from bot.core.answers import UTTER_PROMISES, Reply, bullets
from bot.core.catalog import load_catalog
from bot.core.questions import load_vocabulary
from bot.core.texts import load_texts
from bot.core.translations import (
    UTTER_ONLY_IN_SWEDISH,
    english_table,
    missing_translations,
    to_english,
)
from tests.helpers.trackers import make_tracker, render, run_action, service_entity, user_message

ENGLISH = {"language": "en"}


def answer(domain, intent, entities=(), slots=None, text="question"):
    tracker = make_tracker(user_message(text, intent, list(entities)), slots=slots)
    events, messages = run_action(ActionAnswerService(), tracker, domain)
    language = (slots or {}).get("language", "sv")
    return messages, "\n".join(render(m, domain, language) for m in messages)


def test_promises_in_english_carry_the_english_texts_source_and_date(domain, catalog):
    messages, text = answer(domain, "ask_promises", [service_entity("bygglov")], ENGLISH)
    bygglov = catalog.declarations["bygglov"]
    assert bygglov.en is not None
    for promise in bygglov.timed_promises:
        assert bygglov.en.promises[promise.id] in text
        assert promise.text not in text
    assert f"Source: {bygglov.source_url} (reviewed around 2019)" in text
    assert "Källa" not in text and "granskades" not in text
    assert UTTER_ONLY_IN_SWEDISH not in [m["response"] for m in messages]
    card = next(m["custom"] for m in messages if m["custom"])
    assert card["language"] == "en" and card["name"] == bygglov.en.name


def test_the_same_question_in_a_swedish_conversation_stays_swedish(domain, catalog):
    _, text = answer(domain, "ask_promises", [service_entity("bygglov")], {"language": "sv"})
    assert "Källa" in text and "Source" not in text
    assert catalog.declarations["bygglov"].timed_promises[0].text in text


@pytest.mark.parametrize("language", ["fi", "se", "other"])
def test_finnish_sami_and_other_conversations_get_swedish_answers(domain, language):
    _, text = answer(domain, "ask_promises", [service_entity("bygglov")], {"language": language})
    assert "Källa" in text


def test_a_text_without_english_is_given_in_swedish_after_a_note():
    catalog = load_catalog()
    table = english_table(catalog, load_vocabulary(), load_texts())
    untranslated = "En mening som ingen har översatt."
    replies = to_english(
        table,
        [
            Reply(
                UTTER_PROMISES, {"service_name": "bygglov", "promise_list": bullets([untranslated])}
            )
        ],
    )
    assert [r.response for r in replies] == [UTTER_ONLY_IN_SWEDISH, UTTER_PROMISES]
    assert untranslated in replies[1].values["promise_list"]
    assert replies[1].values["service_name"] == "building permit (bygglov)"


def test_the_note_is_said_in_english(domain):
    assert render({"response": UTTER_ONLY_IN_SWEDISH}, domain, "en").startswith(
        "This part is only available in Swedish"
    )


def test_missing_translations_name_the_file_and_field():
    catalog = load_catalog()
    without = catalog.declarations["bygglov"].copy(update={"en": None})
    broken = type(catalog)(
        declarations={**catalog.declarations, "bygglov": without},
        municipality=catalog.municipality,
        authorities=catalog.authorities,
    )
    assert "declarations/bygglov.yml: en (no English at all)" in missing_translations(broken)
    assert not any("bygglov" in line for line in missing_translations(catalog))


def test_list_of_services_and_its_buttons_in_english(domain, catalog):
    tracker = make_tracker(user_message("which services", "list_services"), slots=ENGLISH)
    _, messages = run_action(ActionListServices(), tracker, domain)
    text = render(messages[0], domain, "en")
    assert "Building permit (bygglov)" in text and text.startswith("I can answer")
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Building permit (bygglov)" in titles


def test_fallback_buttons_in_english(domain):
    message = user_message(
        "hmm bygglov", "nlu_fallback", [service_entity("bygglov")], [("ask_promises", 0.4)]
    )
    _, messages = run_action(ActionAskAffirmation(), make_tracker(message, ENGLISH), domain)
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles == ["Promises and handling times: Building permit (bygglov)", "Something else"]


def test_bot_check_lists_missing_english(monkeypatch, capsys):
    from bot.ops import cli

    catalog = load_catalog()
    without = catalog.declarations["skolskjuts"].copy(update={"en": None})
    broken = type(catalog)(
        declarations={**catalog.declarations, "skolskjuts": without},
        municipality=catalog.municipality,
        authorities=catalog.authorities,
    )
    monkeypatch.setattr(cli, "load_catalog", lambda: broken)
    assert cli._check(None) == 0
    out = capsys.readouterr().out
    assert "Missing English texts (1)" in out
    assert "declarations/skolskjuts.yml: en (no English at all)" in out


def test_the_whole_catalog_has_english():
    assert missing_translations(load_catalog()) == []
