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


def ask(catalog, index, text, intent="ask_overview", confidence=1.0, **remembered):
    found = ServiceMatcher(catalog).find(text)
    question = Question(
        text=text,
        intent=intent,
        confidence=confidence,
        services=[m.value for m in found if m.entity == KNOWN],
        authorities=[m.value for m in found if m.entity == AUTHORITY],
        remembered_service=remembered.get("service"),
        remembered_topic=remembered.get("topic"),
        language=remembered.get("language", "sv"),
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
        # A topic that outranks another wins whatever the weights (data/topics.yml).
        ("hur lång tid har jag på mig att överklaga beslutet", "appeal"),
        ("ni lovade svar inom 8 veckor och nu har det gått 11, vad gör ni åt det", "not_kept"),
        ("hur länge är kartan giltig", "validity"),
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


def test_an_unsure_out_of_scope_follow_up_stays_on_the_conversations_service(catalog, index):
    plan = ask(catalog, index, "och kopior i färg då?", "out_of_scope", 0.6, service="bibliotek")
    assert plan.kind == "service" and plan.service == "bibliotek"
    assert "kr" in said(plan)


def test_a_follow_up_in_the_services_own_words_stays_however_sure_the_model(catalog, index):
    plan = ask(catalog, index, "och kopior i A3 färg?", "out_of_scope", 0.99, service="bibliotek")
    assert plan.kind == "service" and plan.service == "bibliotek"


def test_a_sure_out_of_scope_follow_up_is_still_out_of_scope(catalog, index):
    plan = ask(
        catalog, index, "och hur gör jag med gräsmattan?", "out_of_scope", 0.95, service="bibliotek"
    )
    assert plan.kind == "out_of_scope" and plan.service is None


def test_a_follow_up_about_tax_goes_to_skatteverket_not_the_remembered_service(catalog, index):
    plan = ask(
        catalog, index, "och hur gör jag med skatten?", "out_of_scope", 0.95, service="bibliotek"
    )
    assert plan.kind == "authority" and plan.service is None


def test_another_municipality_after_i_wins_over_the_service_word(catalog, index):
    plan = ask(catalog, index, "Vad kostar serveringstillstånd i Luleå?", "ask_overview", 1.0)
    assert plan.kind == "authority" and plan.service is None


def test_a_state_road_wins_over_snow_clearing(catalog, index):
    plan = ask(catalog, index, "Vem snöröjer E4:an genom stan?", "ask_contact", 1.0)
    assert plan.kind == "authority" and plan.service is None


def test_the_landlord_wins_over_a_service_word_but_not_over_bostadsanpassning(catalog, index):
    plan = ask(catalog, index, "Varför har Skebo inte skottat trappan?", "ask_not_kept", 1.0)
    assert plan.kind == "authority"
    plan = ask(
        catalog, index, "måste hyresvärden godkänna bostadsanpassningen?", "ask_expectations", 1.0
    )
    assert plan.kind == "service" and plan.service == "bostadsanpassning"


def test_an_unrelated_long_message_after_a_service_question_stays_out_of_scope(catalog, index):
    text = "vem tror du vinner melodifestivalen i år, jag håller på Loreen"
    plan = ask(catalog, index, text, "out_of_scope", 0.6, service="bibliotek")
    assert plan.kind == "out_of_scope"


def test_a_declaration_without_its_text_still_answers_the_fact_asked_for(catalog, index):
    text = said(ask(catalog, index, "vad kostar frukosten i en LSS-gruppbostad?", "ask_promises"))
    assert "frukost 22 kr" in text


def test_a_time_held_by_a_text_beyond_the_promises_comes_first(catalog, index):
    plan = ask(catalog, index, "hur lång tid tar inskolningen på förskolan?", "ask_promises")
    assert plan.service == "forskoleplats"
    assert "10 arbetsdagar" in said(plan)
    assert "4 månader" not in said(plan)  # not the promises, which say nothing of it


def test_another_authority_in_a_story_does_not_take_a_question_to_the_municipality(catalog, index):
    text = "har inte råd med hyran, inget kommer från försäkringskassan. kan kommunen hjälpa?"
    plan = ask(catalog, index, text, "out_of_scope", 0.7)
    assert plan.kind == "service" and plan.service == "forsorjningsstod"


def test_another_authority_alone_is_still_named(catalog, index):
    plan = ask(catalog, index, "när betalar försäkringskassan ut föräldrapenningen", "out_of_scope")
    assert plan.kind == "authority"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vad kan man göra på mina sidor", "följa ditt ärende"),
        ("behöver jag bankid för era e-tjänster", "e-legitimation"),
        ("hur överklagar jag ett beslut från kommunen", "tre veckor"),
    ],
)
def test_a_general_question_that_names_no_service_gets_the_general_fact(
    catalog, index, text, expected
):
    plan = ask(catalog, index, text)
    assert plan.kind == "general_fact" and not plan.ask_service
    assert expected in said(plan)


@pytest.mark.parametrize("text", ["hur lång tid tar det?", "vad kostar det?", "när kommer ni?"])
def test_a_bare_question_of_a_kind_still_asks_which_service(catalog, index, text):
    plan = ask(catalog, index, text, "ask_promises")
    assert plan.ask_service and plan.replies == []


def test_another_municipality_named_wins_over_our_service_word(catalog, index):
    plan = ask(catalog, index, "hur lång tid tar bygglov hos Umeå kommun?", "ask_promises")
    assert plan.kind == "authority" and plan.service is None
    urls = {d.source_url for d in catalog.declarations.values()}
    assert not any(url in said(plan) for url in urls)


def test_moving_from_another_municipality_is_still_our_question(catalog, index):
    plan = ask(catalog, index, "vi flyttar från Umeå hit, hur söker jag förskoleplats?")
    assert plan.kind == "service" and plan.service == "forskoleplats"


def test_an_english_question_naming_a_service_is_answered_even_if_the_model_says_out_of_scope(
    catalog, index
):
    text = "How much does lunch cost in LSS housing for adults?"
    plan = ask(catalog, index, text, "out_of_scope", 0.97, language="en")
    assert plan.kind == "service" and plan.service == "lss_bostad_vuxna"
    assert "32 kr" in said(plan)
    # The same sureness in a Swedish conversation is trusted.
    assert ask(catalog, index, text, "out_of_scope", 0.97).kind == "out_of_scope"


def test_a_complaint_about_another_authority_goes_to_that_authority(catalog, index):
    plan = ask(catalog, index, "jag vill klaga på vårdcentralen, var lämnar jag klagomål?")
    assert plan.kind == "authority" and plan.service is None
    # Without another authority it is the municipality's complaint service.
    plan = ask(catalog, index, "var lämnar jag klagomål på kommunen?")
    assert plan.kind == "service" and plan.service == "synpunkter_klagomal"
