"""The answer plan on the real catalog: which service, which part of it, which fact first.
Built from plain values (no Rasa): the question's text, the intent the model chose, the
entities the matcher found, and what the conversation remembers."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.core.answer_plan import Question, plan_answer
from bot.core.clock import STOCKHOLM
from bot.core.matcher import AUTHORITY, KNOWN, ServiceMatcher
from bot.core.questions import QuestionIndex, best_topic, load_vocabulary

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=STOCKHOLM)


@pytest.fixture(scope="module")
def index(catalog):
    return QuestionIndex(catalog, load_vocabulary())


def ask(catalog, index, text, intent="ask_overview", **remembered):
    found = ServiceMatcher(catalog).find(text)
    question = Question(
        text=text,
        intent=intent,
        services=[m.value for m in found if m.entity == KNOWN],
        authorities=[m.value for m in found if m.entity == AUTHORITY],
        remembered_service=remembered.get("service"),
        remembered_topic=remembered.get("topic"),
    )
    return plan_answer(catalog, index, question, NOW)


def said(plan) -> str:
    return "\n".join(str(v) for r in plan.replies for v in r.values.values())


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("hur lång tid tar det?", "times"),
        ("hur lang tid tar det", "times"),
        ("vad kostar det", "cost"),
        ("kan jag överklaga beslutet?", "appeal"),
        ("vad måste jag göra själv", "duties"),
        ("vad händer om ni inte håller det", "not_kept"),
        ("vilket nummer ringer jag", "contact"),
        ("how long does it take", "times"),
    ],
)
def test_the_topic_comes_from_the_citizens_own_words(text, topic):
    assert best_topic(load_vocabulary(), text) == topic


def test_the_promise_the_question_points_at_comes_alone(catalog, index):
    plan = ask(catalog, index, "hur lång tid tar bygglovet om grannarna måste tillfrågas?")
    text = said(plan)
    assert plan.service == "bygglov" and plan.topic == "times"
    assert "8 veckor" in text and "inom högst 4 veckor" not in text


def test_a_general_time_question_lists_every_timed_promise(catalog, index):
    text = said(ask(catalog, index, "hur lång tid tar ett bygglov?"))
    assert "7 arbetsdagar" in text and "4 veckor" in text and "8 veckor" in text


def test_a_follow_up_stays_on_the_remembered_service(catalog, index):
    plan = ask(catalog, index, "och om ni inte håller det?", "ask_not_kept", service="bygglov")
    assert plan.kind == "service" and plan.service == "bygglov"
    assert plan.replies[0].response == "utter_not_kept"


def test_out_of_scope_presents_no_declaration(catalog, index):
    plan = ask(catalog, index, "berätta ett skämt", "out_of_scope", service="bygglov")
    assert plan.kind == "out_of_scope" and plan.service is None
    urls = {d.source_url for d in catalog.declarations.values()}
    assert not any(url in said(plan) for url in urls)


def test_no_service_and_no_context_asks_which_service(catalog, index):
    plan = ask(catalog, index, "vad måste jag göra?", "ask_expectations")
    assert plan.ask_service and plan.replies == [] and plan.topic == "duties"


def test_a_declaration_without_text_promises_nothing(catalog, index):
    plan = ask(catalog, index, "hur lång tid tar det att få hemtjänst?", "ask_promises")
    assert plan.replies[0].response == "utter_declaration_text_missing"
