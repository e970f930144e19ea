"""Multi-turn conversations through the real agent (quick model) and action server."""

from __future__ import annotations

import asyncio
import uuid

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def agent(quick_model, action_server):
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    return Agent.load(
        str(quick_model), action_endpoint=EndpointConfig(f"{action_server.action_url}/webhook")
    )


class Conversation:
    def __init__(self, agent):
        self.agent = agent
        self.sender = f"test-{uuid.uuid4().hex[:8]}"

    def say(self, text: str) -> list[dict]:
        return asyncio.run(self.agent.handle_text(text, sender_id=self.sender)) or []

    def tracker(self):
        return asyncio.run(self.agent.tracker_store.retrieve(self.sender))


def text_of(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def test_promise_then_follow_up_without_naming_the_service(agent, catalog):
    chat = Conversation(agent)
    first = text_of(chat.say("hur lång tid tar bygglov?"))
    assert "4 veckor" in first and catalog.declarations["bygglov"].source_url in first
    second = text_of(chat.say("och om ni inte håller det?"))
    assert catalog.declarations["bygglov"].if_not_kept[0] in second
    assert chat.tracker().get_slot("service") == "bygglov"


def test_no_service_named_asks_which_then_answers_the_same_question(agent, catalog):
    chat = Conversation(agent)
    replies = chat.say("hur lång tid tar det?")
    buttons = [b for r in replies for b in r.get("buttons", [])]
    assert len(buttons) == len(catalog.declarations)
    payload = next(b["payload"] for b in buttons if '"nybyggnadskarta"' in b["payload"])
    answer = text_of(chat.say(payload))
    assert "3 veckor" in answer
    assert catalog.declarations["nybyggnadskarta"].source_url in answer


def test_unsure_offers_choices_then_gives_up_to_kundtjanst(agent):
    chat = Conversation(agent)
    first = chat.say("/nlu_fallback")
    assert any(r.get("buttons") for r in first), first
    assert "inte säker" in text_of(first)
    second = chat.say("/out_of_scope")  # "Något annat"
    assert "annat sätt" in text_of(second)
    third = chat.say("/nlu_fallback")  # the rephrasing is not understood either
    assert any(r.get("buttons") for r in third)
    fourth = chat.say("/out_of_scope")
    assert "0910-73 50 00" in text_of(fourth)


def test_two_misunderstandings_in_a_row_end_with_kundtjanst(agent):
    chat = Conversation(agent)
    chat.say("/nlu_fallback")
    assert "0910-73 50 00" in text_of(chat.say("/nlu_fallback"))


def test_picking_a_suggestion_answers_it(agent):
    chat = Conversation(agent)
    chat.say("/nlu_fallback")
    answer = text_of(chat.say('/ask_promises{"service":"skolskjuts"}'))
    assert "15 juni" in answer


def test_handoff_gives_kundtjanst(agent):
    chat = Conversation(agent)
    answer = text_of(chat.say("kan jag få prata med en människa?"))
    assert "0910-73 50 00" in answer and "kundtjanst@skelleftea.se" in answer


def test_unknown_service_is_honest(agent):
    chat = Conversation(agent)
    chat.say("hur lång tid tar bygglov?")
    answer = text_of(chat.say("vad lovar ni om simhallen?"))
    assert "simhall" in answer.lower() and "0910-73 50 00" in answer
    assert "veckor" not in answer


def test_out_of_scope_is_honest(agent):
    chat = Conversation(agent)
    answer = text_of(chat.say("vad blir det för väder i morgon?"))
    assert "0910-73 50 00" in answer


def test_greet_and_bot_challenge(agent):
    chat = Conversation(agent)
    assert "Hej" in text_of(chat.say("hej!"))
    assert "chattbot" in text_of(chat.say("är du en robot?"))


def test_english_answers_in_english_with_follow_ups_and_a_switch_back(agent, catalog):
    bygglov = catalog.declarations["bygglov"]
    chat = Conversation(agent)
    first = text_of(chat.say("how long does a building permit take?"))
    assert bygglov.en.promises["beslut_enkelt_arende"] in first
    assert f"Source: {bygglov.source_url}" in first and "Källa" not in first
    assert chat.tracker().get_slot("language") == "en"
    second = text_of(chat.say("and if you don't keep it?"))
    assert bygglov.en.if_not_kept[0] in second
    third = text_of(chat.say("ok"))  # too short to tell: still English
    assert "Källa" not in third and "Jag" not in third
    fourth = text_of(chat.say("hur lång tid tar det?"))  # the citizen switches
    assert "Källa" in fourth and chat.tracker().get_slot("language") == "sv"


@pytest.mark.parametrize(
    ("message", "language", "words"),
    [
        ("Saanko asioida suomeksi?", "fi", ["suomea", "0910-73 50 00", "kundtjanst@skelleftea.se"]),
        ("Sáhtán go čállit sámegillii?", "se", ["sámegiela", "0910-73 50 00"]),
        ("كم يستغرق تصريح البناء؟", "other", ["only answer in Swedish and English", "tolk"]),
    ],
)
def test_finnish_sami_and_other_languages_get_the_fixed_text(agent, message, language, words):
    chat = Conversation(agent)
    text = text_of(chat.say(message))
    for word in words:
        assert word in text
    assert chat.tracker().get_slot("language") == language
    assert chat.tracker().latest_message.intent["name"] == "other_language"
