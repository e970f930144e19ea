"""Actions run with a real CollectingDispatcher, trackers built from events and the real
domain: the text the citizen sees carries the right promise, source and date."""

from __future__ import annotations

from datetime import datetime

import pytest
from rasa_sdk import Tracker

from actions.fallback import ActionAskAffirmation
from actions.general import ActionExplainServiceforklaring, ActionListServices
from actions.handoff import ActionHumanHandoff
from actions.service_answers import ActionAnswerService
from actions.session import ActionSessionStart
from bot.core.catalog import default_store
from bot.core.clock import STOCKHOLM
from tests.helpers.trackers import make_tracker, render, run_action, service_entity, user_message


class FilesOnly:
    """The action server's store follows the catalog published in the tracker database
    and the review dates confirmed there (actions/__init__.py); these tests answer from
    the files alone: nothing published, nothing confirmed."""

    def version(self) -> None:
        return None

    def documents(self) -> dict:
        return {}

    def dates(self) -> dict:
        return {}


@pytest.fixture(autouse=True, scope="module")
def _files_only() -> None:
    default_store().follow_published(FilesOnly())
    default_store().follow(FilesOnly())


def answer(domain, intent, entities=(), slots=None, text="fråga"):
    tracker = make_tracker(user_message(text, intent, list(entities)), slots=slots)
    events, messages = run_action(ActionAnswerService(), tracker, domain)
    texts = [render(m, domain) for m in messages]
    return events, messages, "\n".join(texts)


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_promises_for_bygglov_carry_the_times_source_and_date(domain, catalog):
    events, messages, text = answer(domain, "ask_promises", [service_entity("bygglov")])
    bygglov = catalog.declarations["bygglov"]
    for promise in bygglov.timed_promises:
        assert promise.text in text
    assert "7 arbetsdagar" in text and "4 veckor" in text and "8 veckor" in text
    assert bygglov.source_url in text
    assert "granskades" in text
    assert text.rstrip().splitlines()[-1].startswith(("Källa", "Observera"))
    assert slot_events(events) == {"service": "bygglov", "topic": "times", "report_offered": None}
    cards = [m["custom"] for m in messages if m["custom"]]
    assert cards and cards[0]["type"] == "promise_card" and cards[0]["service"] == "bygglov"


def test_facts_older_than_a_year_are_flagged(domain, catalog):
    _, _, text = answer(domain, "ask_overview", [service_entity("forsorjningsstod")])
    assert "mer än ett år sedan" in text  # reviewed 2019


def test_a_service_level_is_not_called_a_serviceforklaring(domain):
    _, messages, text = answer(domain, "ask_overview", [service_entity("snorojning")])
    assert messages[0]["response"] == "utter_overview_serviceniva"
    assert "ingen formell serviceförklaring" in text
    _, messages, _ = answer(domain, "ask_overview", [service_entity("bygglov")])
    assert messages[0]["response"] == "utter_overview_serviceforklaring"


@pytest.mark.parametrize("service", ["fardtjanst", "bostadsanpassning", "serveringstillstand"])
def test_no_published_time_is_said_plainly(domain, service):
    _, messages, text = answer(domain, "ask_promises", [service_entity(service)])
    assert messages[0]["response"] == "utter_promises_no_time"
    assert "inte publicerat någon" in text


@pytest.mark.parametrize("service", ["hemtjanst", "lss_bostad_vuxna"])
def test_declaration_whose_text_is_missing_says_so_and_promises_nothing(domain, service):
    _, messages, text = answer(domain, "ask_promises", [service_entity(service)])
    assert messages[0]["response"] == "utter_declaration_text_missing"
    assert "0910-73 50 00" in text
    assert not any(m["custom"] for m in messages)


def test_follow_up_uses_the_service_in_the_slot(domain, catalog):
    events, _, text = answer(
        domain, "ask_not_kept", slots={"service": "bygglov"}, text="och om ni inte håller det?"
    )
    for line in catalog.declarations["bygglov"].if_not_kept:
        assert line in text
    assert slot_events(events)["service"] == "bygglov"


def test_naming_only_a_service_repeats_the_previous_question(domain):
    events, messages, _ = answer(
        domain,
        "inform_service",
        [service_entity("fardtjanst")],
        slots={"service": "bygglov", "topic": "times"},
    )
    assert messages[0]["response"] == "utter_promises_no_time"
    assert slot_events(events) == {
        "service": "fardtjanst",
        "topic": "times",
        "report_offered": None,
    }


def test_no_service_named_asks_which_with_buttons(domain, catalog):
    events, messages, _ = answer(domain, "ask_expectations", text="vad måste jag göra?")
    assert messages[0]["response"] == "utter_ask_which_service"
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert len(payloads) == len(catalog.declarations)
    assert '/inform_service{"service":"bygglov"}' in payloads
    assert slot_events(events) == {"service": None, "topic": "duties", "report_offered": None}


def test_unknown_service_promises_nothing_and_points_to_kundtjanst(domain):
    events, messages, text = answer(
        domain,
        "ask_promises",
        [service_entity("simhallen", "unknown_service")],
        slots={"service": "bygglov"},
        text="vad lovar ni om simhallen?",
    )
    assert [m["response"] for m in messages] == ["utter_unknown_service"]
    assert "simhallen" in text and "0910-73 50 00" in text and "kundtjanst@skelleftea.se" in text
    assert slot_events(events)["service"] is None


PAYLOAD_FORMULA = '=HYPERLINK("https://evil.example/","Klicka")'


@pytest.mark.parametrize(
    "entities",
    [
        [service_entity(PAYLOAD_FORMULA, "unknown_service")],
        [service_entity("https://evil.example/ ring 0701234567", "unknown_service")],
        [service_entity(PAYLOAD_FORMULA), service_entity(PAYLOAD_FORMULA, "unknown_service")],
    ],
    ids=["formula", "link and phone", "both entities"],
)
def test_payload_text_that_the_catalog_does_not_know_is_never_repeated(domain, entities):
    """Issue 14, finding 3: `/ask_promises{"unknown_service": ...}` made the bot repeat the
    attacker's text as an "unknown service" (and the widget linked it)."""
    message = "/ask_promises" + str(entities)
    events, messages, text = answer(domain, "ask_promises", entities, text=message)
    assert "utter_unknown_service" not in [m["response"] for m in messages]
    assert "evil.example" not in text and "HYPERLINK" not in text and "0701234567" not in text
    assert slot_events(events)["service"] is None


def test_an_unknown_service_is_repeated_in_the_catalogs_own_spelling(domain):
    _, messages, text = answer(
        domain, "ask_promises", [service_entity("SIMHALLEN", "unknown_service")]
    )
    assert [m["response"] for m in messages] == ["utter_unknown_service"]
    assert "simhallen" in text and "SIMHALLEN" not in text


def test_a_service_entity_may_be_the_services_name_or_a_synonym(domain, catalog):
    name = catalog.declarations["bygglov"].name
    events, _, _ = answer(domain, "ask_promises", [service_entity(name.upper())])
    assert slot_events(events)["service"] == "bygglov"


def test_a_remembered_service_not_in_the_catalog_is_forgotten(domain):
    _, messages, text = answer(
        domain, "ask_not_kept", slots={"service": PAYLOAD_FORMULA}, text="och om ni inte gör det?"
    )
    assert "HYPERLINK" not in text
    assert messages[0]["response"] == "utter_ask_which_service"


def test_a_service_id_not_in_the_catalog_is_ignored(domain):
    _, messages, _ = answer(domain, "ask_promises", [service_entity("finns_inte")])
    assert messages[0]["response"] == "utter_ask_which_service"


def test_contact_gives_phone_option_for_the_service(domain):
    _, messages, text = answer(domain, "ask_contact", [service_entity("forsorjningsstod")])
    assert messages[0]["response"] == "utter_service_contact_with_option"
    assert "knappval 1" in text and "0910-73 50 00" in text


def test_list_services_has_a_button_per_service_split_by_kind(domain, catalog):
    tracker = make_tracker(user_message("vilka tjänster finns", "list_services"))
    _, messages = run_action(ActionListServices(), tracker, domain)
    text = render(messages[0], domain)
    assert len(messages[0]["buttons"]) == len(catalog.declarations)
    formal, levels = text.split("Publicerade servicenivåer")
    assert "Bygglov" in formal.split("Serviceförklaringar")[1]
    assert "Snöröjning" in levels or "snöröjning" in levels.lower()


def test_explain_serviceforklaring_cites_its_source(domain, catalog):
    tracker = make_tracker(user_message("vad är en serviceförklaring", "what_is_serviceforklaring"))
    _, messages = run_action(ActionExplainServiceforklaring(), tracker, domain)
    text = "\n".join(render(m, domain) for m in messages)
    assert catalog.municipality.serviceforklaring.source_url in text


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 25, 10, 0, tzinfo=STOCKHOLM), "utter_kundtjanst_open_now"),
        (datetime(2026, 11, 25, 18, 0, tzinfo=STOCKHOLM), "utter_kundtjanst_closed_now"),
        (datetime(2026, 11, 28, 10, 0, tzinfo=STOCKHOLM), "utter_kundtjanst_closed_now"),
    ],
)
def test_handoff_gives_contact_and_whether_open_now(domain, monkeypatch, now, expected):
    monkeypatch.setattr("actions.handoff.now_in_sweden", lambda: now)
    tracker = make_tracker(user_message("prata med människa", "human_handoff"))
    _, messages = run_action(ActionHumanHandoff(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_kundtjanst_contact", expected]
    text = render(messages[0], domain)
    assert "0910-73 50 00" in text and "kundtjanst@skelleftea.se" in text


def test_closed_on_saturday_says_it_opens_monday(domain, monkeypatch):
    monkeypatch.setattr(
        "actions.handoff.now_in_sweden", lambda: datetime(2026, 11, 28, 10, 0, tzinfo=STOCKHOLM)
    )
    tracker = make_tracker(user_message("är kundtjänst öppet", "human_handoff"))
    _, messages = run_action(ActionHumanHandoff(), tracker, domain)
    assert "måndag kl. 07:00" in render(messages[1], domain)


def test_fallback_offers_the_likeliest_intents_with_the_service(domain):
    message = user_message(
        "bygglov krångel",
        "nlu_fallback",
        [service_entity("bygglov")],
        ranking=[
            ("nlu_fallback", 0.55),
            ("ask_promises", 0.4),
            ("ask_not_kept", 0.35),
            ("out_of_scope", 0.1),
        ],
    )
    _, messages = run_action(ActionAskAffirmation(), make_tracker(message), domain)
    buttons = messages[0]["buttons"]
    assert messages[0]["response"] == "utter_ask_affirmation"
    assert [b["payload"] for b in buttons] == [
        '/ask_promises{"service":"bygglov"}',
        '/ask_not_kept{"service":"bygglov"}',
        "/out_of_scope",
    ]
    assert "Bygglov" in buttons[0]["title"]


def _report_offers(messages):
    return [m["custom"] for m in messages if (m["custom"] or {}).get("type") == "report_offer"]


@pytest.mark.parametrize(
    "text",
    ["och om ni inte håller det?", "ni har inte hört av er inom 7 arbetsdagar, löftet hölls inte"],
)
def test_after_the_answer_about_a_broken_promise_the_bot_offers_to_register_it(domain, text):
    events, messages, rendered = answer(
        domain, "ask_not_kept", [service_entity("bygglov")], slots={"service": "bygglov"}, text=text
    )
    assert _report_offers(messages) == [
        {"type": "report_offer", "service": "bygglov", "name": "Bygglov"}
    ]
    offer = next(m for m in messages if m["response"] == "utter_offer_report")
    assert messages.index(offer) > 0  # after the answer itself
    assert "anmäla" in render(offer, domain) and "bygglov" in render(offer, domain)
    assert "{" not in rendered
    assert slot_events(events)["report_offered"] is True  # "ja" now starts the report


@pytest.mark.parametrize(
    ("intent", "service"),
    [
        ("ask_promises", "bygglov"),  # not about a broken promise
        ("ask_not_kept", "hemtjanst"),  # the declaration's text is missing: no promises
    ],
)
def test_no_offer_to_register_where_it_does_not_fit(domain, intent, service):
    _, messages, _ = answer(domain, intent, [service_entity(service)])
    assert _report_offers(messages) == []
    assert not any(m["response"] == "utter_offer_report" for m in messages)


def test_session_start_says_first_that_this_is_a_chatbot_and_how_to_reach_a_person(domain, catalog):
    tracker = Tracker("new-conversation", {}, {}, [], False, None, {}, "action_listen")
    events, messages = run_action(ActionSessionStart(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_ai_disclosure"]
    text = render(messages[0], domain)
    assert "automatisk chattbot" in text and "inte med en människa" in text
    assert catalog.municipality.kundtjanst.phone in text
    # The session starts as Rasa's own action_session_start would start it.
    assert [e["event"] for e in events] == ["session_started", "action"]
    assert events[1]["name"] == "action_listen"
