"""A broken promise reported as chat turns through the REST webhook of the real stack
(`running_bot`): the answer about a broken promise offers it with a button; "ja" starts
it with the conversation's service; the promise by its button; a description with a
phone number in it; the case number comes back, the case is in the database with its
description masked and no contact details. "avbryt" ends it with nothing stored."""

from __future__ import annotations

import re
import uuid

import pytest

from bot.store import cases as case_store

pytestmark = pytest.mark.slow

QUESTION = "vad händer om kommunen inte håller tiden för bygglov?"
NUMBER = re.compile(r"SF-\d{4}-\d{5}")


def _text(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def _buttons(replies: list[dict]) -> list[dict]:
    return [b for r in replies for b in r.get("buttons") or []]


def test_offer_yes_promise_description_gives_a_case_number_and_a_masked_case(
    rest, tracker_db_url, catalog
):
    sender = f"report-{uuid.uuid4().hex[:8]}"
    offer = rest.ask(QUESTION, sender)
    assert {"title": "Anmäl", "payload": "/start_report"} in _buttons(offer)

    asked = rest.ask("ja", sender)  # the conversation's service: straight to its promises
    assert "Vilket löfte om bygglov hölls inte?" in _text(asked)
    bygglov = catalog.declarations["bygglov"]
    promise_buttons = _buttons(asked)
    assert [b["payload"] for b in promise_buttons] == [
        str(n) for n in range(1, len(bygglov.promises) + 1)
    ]
    wanted = next(i for i, p in enumerate(bygglov.promises) if p.id == "aterkoppling")

    described = rest.ask(promise_buttons[wanted]["payload"], sender)
    assert "Beskriv kort vad som hände" in _text(described)

    done = rest.ask("Ingen hörde av sig. Ring mig på 070-123 45 67.", sender)
    number = NUMBER.search(_text(done))
    assert number is not None, _text(done)
    assert "skelleftea.se" in _text(done)  # a reply needs the form or Kundtjänst

    case = case_store.find_case(tracker_db_url, number.group(0))
    assert case is not None
    assert (case.service_id, case.promise_id, case.sender_id) == ("bygglov", "aterkoppling", sender)
    assert "070-123 45 67" not in case.description and "[telefon]" in case.description
    assert not case.wants_reply and case.contact.is_empty


def test_the_button_asks_for_the_service_and_avbryt_stores_nothing(rest, tracker_db_url):
    sender = f"report-{uuid.uuid4().hex[:8]}"
    before = case_store.count_cases(tracker_db_url)
    asked = rest.ask("/start_report", sender)  # no service in the conversation yet
    assert '/inform_service{"service":"bygglov"}' in [b["payload"] for b in _buttons(asked)]
    promises = rest.ask('/inform_service{"service":"bygglov"}', sender)
    assert "Vilket löfte om bygglov hölls inte?" in _text(promises)
    cancelled = rest.ask("avbryt", sender)
    assert "avbruten" in _text(cancelled)
    assert case_store.count_cases(tracker_db_url) == before
    after = rest.ask("hur lång tid tar bygglov?", sender)  # the bot answers questions again
    assert "8 veckor" in _text(after)
