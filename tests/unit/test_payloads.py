"""The payloads of the bot's own buttons (bot/core/payloads.py): what the actions send is
what the web app lets through, and nothing else that Rasa would read as an intent."""

from __future__ import annotations

import pytest

from actions.dispatch import service_buttons
from bot.core.payloads import button_payload, intent_payload, is_payload
from bot.core.texts import load_texts
from bot.names import (
    INTENT_ASK_OVERVIEW,
    INTENT_INFORM_SERVICE,
    INTENT_OUT_OF_SCOPE,
    SERVICE_INTENTS,
)


@pytest.fixture
def labels():
    return load_texts().intent_labels


def test_every_button_the_actions_make_is_accepted_as_it_is(catalog, labels):
    payloads = [b["payload"] for b in service_buttons(catalog, INTENT_INFORM_SERVICE)]
    payloads += [b["payload"] for b in service_buttons(catalog, INTENT_ASK_OVERVIEW)]
    payloads += [intent_payload(intent) for intent in labels]
    payloads += [intent_payload(intent, "bygglov") for intent in SERVICE_INTENTS]
    payloads.append(intent_payload(INTENT_OUT_OF_SCOPE))
    for payload in payloads:
        assert button_payload(payload, catalog, labels) == payload


@pytest.mark.parametrize(
    "text",
    [
        '/ask_promises{"service":"=HYPERLINK(\\"x\\")"}',
        '/ask_promises{"unknown_service":"simhallen"}',
        '/ask_promises{"authority":"polisen"}',
        '/ask_promises{"service":"bygglov","topic":"times"}',
        '/inform_service{"service":null}',
        '/inform_service{"service":"bygglov"',
        '/thank{"service":"bygglov"}',
        "/restart",
        "/session_start",
        "/nlu_fallback",
        "/affirm",
        "/ask_promises@1.0",
        "/ask_promises trailing",
        "/",
    ],
)
def test_anything_else_in_the_intent_syntax_is_refused(catalog, labels, text):
    assert is_payload(text)
    assert button_payload(text, catalog, labels) is None


def test_ordinary_words_are_not_a_payload():
    assert not is_payload("hur lång tid tar bygglov? /k")
    assert is_payload("  /greet")
