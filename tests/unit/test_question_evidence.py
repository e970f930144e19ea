"""The NLU component that adds the `topic` entity and corrects an unsure intent with the
evidence of the catalog (bot/adapters/nlu.py QuestionEvidence), on Rasa Messages."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.adapters.nlu import QuestionEvidence


def message(text, intent, confidence, entities=()):
    msg = Message(data={TEXT: text})
    msg.set(INTENT, {"name": intent, "confidence": confidence})
    msg.set(ENTITIES, [{"entity": e, "value": v} for e, v in entities])
    return msg


@pytest.fixture(scope="module")
def component():
    return QuestionEvidence({})


@pytest.mark.parametrize(
    ("text", "intent", "confidence", "entities", "expected"),
    [
        # a named service and a recognisable question win over an unsure model
        ("carporten, hur lång tid?", "nlu_fallback", 0.4, [("service", "bygglov")], "ask_promises"),
        ("kostar bygglovet nåt", "greet", 0.6, [("service", "bygglov")], "ask_overview"),
        # a named service overrules an intent about something else
        (
            "prata med nån om bostadsanpassning",
            "human_handoff",
            0.99,
            [("service", "bostadsanpassning")],
            "ask_contact",
        ),
        # another authority and nothing of ours: out of scope
        ("förnya passet", "nlu_fallback", 0.3, [("authority", "polisen")], "out_of_scope"),
        # a follow-up with a question but no service: the conversation holds the service
        ("och hur lång tid tar det då?", "nlu_fallback", 0.3, [], "ask_promises"),
        # confident intents and out_of_scope are left alone
        ("tack!", "thank", 0.97, [], "thank"),
        (
            "ska det snöa i helgen?",
            "out_of_scope",
            0.8,
            [("service", "snorojning")],
            "out_of_scope",
        ),
    ],
)
def test_an_unsure_intent_is_corrected_by_the_evidence(
    component, text, intent, confidence, entities, expected
):
    msg = component.process([message(text, intent, confidence, entities)])[0]
    assert msg.get(INTENT)["name"] == expected


def test_the_topic_is_added_as_an_entity(component):
    msg = component.process([message("vad kostar det?", "ask_overview", 0.9)])[0]
    assert {"entity": "topic", "value": "cost"}.items() <= msg.get(ENTITIES)[-1].items()
