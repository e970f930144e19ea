"""The report as chat turns (actions/report.py) with trackers built from events and the
real domain: the service taken from the conversation or asked for with buttons, the
promise by its number, the description checked, and "avbryt" ending the form with
nothing kept. Registering the case is tested end to end (tests/e2e/test_report_chat.py)."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.report import (
    ActionAskReportPromise,
    ActionAskReportService,
    ActionStartReport,
    ActionSubmitReport,
    ValidateReportForm,
)
from bot.core.cases import accepts_offer, chosen_promise, is_cancel
from bot.core.texts import load_texts
from tests.helpers.trackers import make_tracker, render, run_action, service_entity, user_message


def slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def validate(domain, text, asked, known, entities=()):
    tracker = make_tracker(
        user_message(text, "nlu_fallback", list(entities)),
        slots={**known, asked: text, "requested_slot": asked},
    )
    # The form appends the candidate it extracted; the validation reads it from there.
    tracker.events.append({"event": "slot", "name": asked, "value": text})
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateReportForm().run(dispatcher, tracker, domain))
    return events, dispatcher.messages


def test_the_report_starts_with_the_conversations_service_or_none(domain):
    remembered = make_tracker(user_message("ja", "affirm"), slots={"service": "bygglov"})
    assert slots(run_action(ActionStartReport(), remembered, domain)[0])["report_service"] == (
        "bygglov"
    )
    named = make_tracker(
        user_message("/start_report", "start_report", [service_entity("snorojning")]),
        slots={"service": "bygglov"},
    )
    assert slots(run_action(ActionStartReport(), named, domain)[0])["report_service"] == (
        "snorojning"
    )
    nothing = make_tracker(user_message("anmäl", "start_report"))
    assert slots(run_action(ActionStartReport(), nothing, domain)[0])["report_service"] is None


@pytest.mark.parametrize("text", ["ok", "okej", "OK!"])
def test_ok_after_the_offer_is_an_acknowledgment_not_a_report(domain, text):
    tracker = make_tracker(user_message(text, "affirm"), slots={"service": "bygglov"})
    events, [said] = run_action(ActionStartReport(), tracker, domain)
    assert said["response"] == "utter_anything_else"
    assert {"event": "followup", "name": "action_listen"} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]
    assert "report_service" not in slots(events)


def test_the_service_and_promise_questions_carry_catalog_buttons(domain, catalog):
    _, [asked] = run_action(ActionAskReportService(), make_tracker(user_message("x", "x")), domain)
    assert '/inform_service{"service":"bygglov"}' in [b["payload"] for b in asked["buttons"]]
    tracker = make_tracker(user_message("x", "x"), slots={"report_service": "bygglov"})
    _, [promises] = run_action(ActionAskReportPromise(), tracker, domain)
    bygglov = catalog.declarations["bygglov"]
    assert [b["payload"] for b in promises["buttons"]] == [
        str(n) for n in range(1, len(bygglov.promises) + 1)
    ]
    assert promises["buttons"][0]["title"] == f"1. {bygglov.promises[0].text}"
    assert "bygglov" in render(promises, domain)


def test_answers_are_checked_against_the_catalog(domain, catalog):
    events, _ = validate(domain, "Bygglov", "report_service", {})
    assert slots(events)["report_service"] == "bygglov"
    events, said = validate(domain, "månresor", "report_service", {})
    assert slots(events)["report_service"] is None
    assert [m["response"] for m in said] == ["utter_report_service_unknown"]
    events, _ = validate(domain, "2", "report_promise", {"report_service": "bygglov"})
    assert slots(events)["report_promise"] == catalog.declarations["bygglov"].promises[1].id
    events, said = validate(domain, "99", "report_promise", {"report_service": "bygglov"})
    assert slots(events)["report_promise"] is None
    assert [m["response"] for m in said] == ["utter_report_promise_unknown"]
    events, said = validate(domain, "x" * 2001, "report_description", {})
    assert slots(events)["report_description"] is None
    assert [m["response"] for m in said] == ["utter_report_description_invalid"]


@pytest.mark.parametrize("text", ["avbryt", "Avbryt.", "AVBRYT ANMÄLAN", "cancel"])
def test_avbryt_at_any_step_ends_the_form_with_nothing_kept(domain, text):
    events, _ = validate(domain, text, "report_description", {"report_service": "bygglov"})
    assert {"event": "active_loop", "name": None} in [
        {"event": e["event"], "name": e.get("name")} for e in events if e["event"] == "active_loop"
    ]
    assert slots(events) == {
        "report_service": None,
        "report_promise": None,
        "report_description": None,
        "requested_slot": None,
    }
    tracker = make_tracker(user_message(text, "nlu_fallback"))
    _, [said] = run_action(ActionSubmitReport(), tracker, domain)
    assert said["response"] == "utter_report_cancelled"


def test_cancel_words_and_promise_choices_in_the_core(catalog):
    words = load_texts().cancel_words
    assert is_cancel(" avbryt! ", words) and not is_cancel("avbryt inte plogningen", words)
    yes = load_texts().report_yes_words
    assert accepts_offer("Ja, tack!", yes) and accepts_offer("yes please", yes)
    assert not accepts_offer("ok", yes) and not accepts_offer("ja men hur lång tid tar det", yes)
    bygglov = catalog.declarations["bygglov"]
    first = bygglov.promises[0]
    assert chosen_promise(bygglov, "1") == first
    assert chosen_promise(bygglov, first.id) == first
    assert chosen_promise(bygglov, first.text.upper()) == first
    assert chosen_promise(bygglov, "0") is None and chosen_promise(bygglov, "") is None
