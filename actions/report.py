"""A broken promise reported as chat turns, for channels without the web widget's form
(REST, socket.io): report_form (domain.yml, data/rules/report.yml) asks which service,
which of its promises and what happened; `action_submit_report` registers the case
anonymously and says its number. No contact details are ever asked for in the chat (they
would reach the tracker's events): the citizen who wants a reply is sent to the form on
skelleftea.se or Kundtjänst. The description is masked by the channel before Rasa sees
it, and checked and masked again by bot/core/cases.py. "avbryt" at any step cancels.

Thin over bot/core/cases.py (which service and promise a report may name, cancel words,
the checks) and bot/store/cases.py (numbering and storing, pyproject's import contract).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.dispatch import answer_language, intent_payload
from bot.core.answers import in_sentence
from bot.core.cases import (
    MAX_DESCRIPTION_CHARS,
    CaseError,
    accepts_offer,
    check_report,
    chosen_promise,
    is_cancel,
    reportable,
    reportable_services,
)
from bot.core.catalog import Catalog, Declaration, default_store
from bot.core.message_language import ENGLISH
from bot.core.texts import load_texts
from bot.names import (
    ACTION_ASK_REPORT_DESCRIPTION,
    ACTION_ASK_REPORT_PROMISE,
    ACTION_ASK_REPORT_SERVICE,
    ACTION_LISTEN,
    ACTION_START_REPORT,
    ACTION_SUBMIT_REPORT,
    ACTION_VALIDATE_REPORT_FORM,
    ENTITY_SERVICE,
    INTENT_AFFIRM,
    INTENT_INFORM_SERVICE,
    SLOT_REPORT_DESCRIPTION,
    SLOT_REPORT_OFFERED,
    SLOT_REPORT_PROMISE,
    SLOT_REPORT_SERVICE,
    SLOT_REQUESTED,
    SLOT_SERVICE,
    UTTER_ANYTHING_ELSE,
    UTTER_ASK_REPORT_DESCRIPTION,
    UTTER_ASK_REPORT_PROMISE,
    UTTER_ASK_REPORT_SERVICE,
    UTTER_REPORT_CANCELLED,
    UTTER_REPORT_DESCRIPTION_INVALID,
    UTTER_REPORT_FAILED,
    UTTER_REPORT_PROMISE_UNKNOWN,
    UTTER_REPORT_REGISTERED,
    UTTER_REPORT_SERVICE_UNKNOWN,
)
from bot.store.cases import CaseStoreUnavailable, ensure_case_tables, register_case
from bot.store.database import tracker_db_url

logger = logging.getLogger(__name__)

REPORT_SLOTS = (SLOT_REPORT_SERVICE, SLOT_REPORT_PROMISE, SLOT_REPORT_DESCRIPTION)


def _service_named(catalog: Catalog, tracker: Tracker) -> str | None:
    """A reportable service the latest message names (a button's payload or the catalog's
    matcher), else None."""
    for item in tracker.latest_message.get("entities", []) or []:
        if item.get("entity") == ENTITY_SERVICE:
            declaration = reportable(catalog, item.get("value"))
            if declaration is not None:
                return declaration.id
    return None


def _name(declaration: Declaration, language: str) -> str:
    return declaration.en.name if language == ENGLISH and declaration.en else declaration.name


def _promise_text(declaration: Declaration, index: int, language: str) -> str:
    promise = declaration.promises[index]
    if language == ENGLISH and declaration.en and promise.id in declaration.en.promises:
        return declaration.en.promises[promise.id]
    return promise.text


def _cleared() -> list[EventType]:
    return [SlotSet(slot, None) for slot in REPORT_SLOTS]


class ActionStartReport(Action):
    """Starts a report: the service the message names, else the conversation's own, is
    taken as the report's when it has promises; otherwise the form asks which. After the
    offer, only a yes (data/texts.yml `report_yes_words`) starts it, not "ok"."""

    def name(self) -> str:
        return ACTION_START_REPORT

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        said = tracker.latest_message.get("text") or ""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == INTENT_AFFIRM and not accepts_offer(said, load_texts().report_yes_words):
            # "ok" after the offer acknowledges the answer: no report, and the form the
            # rule would start next is not run.
            dispatcher.utter_message(response=UTTER_ANYTHING_ELSE)
            return [SlotSet(SLOT_REPORT_OFFERED, None), FollowupAction(ACTION_LISTEN)]
        catalog = default_store().get()
        service = _service_named(catalog, tracker)
        if service is None:
            remembered = reportable(catalog, tracker.get_slot(SLOT_SERVICE))
            service = remembered.id if remembered else None
        return [*_cleared(), SlotSet(SLOT_REPORT_SERVICE, service)]


class ActionAskReportService(Action):
    def name(self) -> str:
        return ACTION_ASK_REPORT_SERVICE

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = answer_language(tracker)
        buttons = [
            {"title": _name(d, language), "payload": intent_payload(INTENT_INFORM_SERVICE, d.id)}
            for d in reportable_services(default_store().get())
        ]
        dispatcher.utter_message(response=UTTER_ASK_REPORT_SERVICE, buttons=buttons)
        return []


class ActionAskReportPromise(Action):
    """The chosen service's promises as numbered buttons (the number is the answer)."""

    def name(self) -> str:
        return ACTION_ASK_REPORT_PROMISE

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        declaration = reportable(default_store().get(), tracker.get_slot(SLOT_REPORT_SERVICE))
        if declaration is None:  # the catalog changed under the form: it ends, cancelled
            return [SlotSet(SLOT_REPORT_SERVICE, None), SlotSet(SLOT_REQUESTED, None)]
        language = answer_language(tracker)
        buttons = [
            {
                "title": f"{number}. {_promise_text(declaration, number - 1, language)}",
                "payload": str(number),
            }
            for number in range(1, len(declaration.promises) + 1)
        ]
        dispatcher.utter_message(
            response=UTTER_ASK_REPORT_PROMISE,
            buttons=buttons,
            service_name=in_sentence(_name(declaration, language)),
        )
        return []


class ValidateReportForm(FormValidationAction):
    """Each answer checked against the catalog; "avbryt" ends the form with nothing kept
    (action_submit_report then says so)."""

    def name(self) -> str:
        return ACTION_VALIDATE_REPORT_FORM

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        asked = tracker.get_slot(SLOT_REQUESTED)
        text = tracker.latest_message.get("text") or ""
        if asked in REPORT_SLOTS and is_cancel(text, load_texts().cancel_words):
            return [*_cleared(), SlotSet(SLOT_REQUESTED, None), ActiveLoop(None)]
        return await super().run(dispatcher, tracker, domain)

    def validate_report_service(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        catalog = default_store().get()
        declaration = reportable(catalog, value)
        service = declaration.id if declaration else _service_named(catalog, tracker)
        if service is None:
            dispatcher.utter_message(response=UTTER_REPORT_SERVICE_UNKNOWN)
        return {SLOT_REPORT_SERVICE: service}

    def validate_report_promise(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        declaration = reportable(default_store().get(), tracker.get_slot(SLOT_REPORT_SERVICE))
        promise = chosen_promise(declaration, value) if declaration else None
        if promise is None:
            dispatcher.utter_message(response=UTTER_REPORT_PROMISE_UNKNOWN)
            return {SLOT_REPORT_PROMISE: None}
        return {SLOT_REPORT_PROMISE: promise.id}

    def validate_report_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if not text or len(text) > MAX_DESCRIPTION_CHARS:
            dispatcher.utter_message(
                response=UTTER_REPORT_DESCRIPTION_INVALID, max_chars=MAX_DESCRIPTION_CHARS
            )
            return {SLOT_REPORT_DESCRIPTION: None}
        return {SLOT_REPORT_DESCRIPTION: text}


class ActionAskReportDescription(Action):
    """The description's question, with the limit filled in from bot/core/cases.py."""

    def name(self) -> str:
        return ACTION_ASK_REPORT_DESCRIPTION

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(
            response=UTTER_ASK_REPORT_DESCRIPTION, max_chars=MAX_DESCRIPTION_CHARS
        )
        return []


class ActionSubmitReport(Action):
    """After the form: registers the case anonymously and says its number, or says the
    report was cancelled (the form ended without all three answers)."""

    def name(self) -> str:
        return ACTION_SUBMIT_REPORT

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        done = [*_cleared(), SlotSet(SLOT_REPORT_OFFERED, None)]
        values = [tracker.get_slot(slot) for slot in REPORT_SLOTS]
        if not all(values):
            dispatcher.utter_message(response=UTTER_REPORT_CANCELLED)
            return done
        catalog = default_store().get()
        phone = catalog.municipality.kundtjanst.phone
        try:
            service, promise, description = values
            report = check_report(
                catalog, service, promise, description, False, sender_id=tracker.sender_id
            )
            db_url = tracker_db_url()
            ensure_case_tables(db_url)
            case = register_case(db_url, report)
        except (CaseError, CaseStoreUnavailable) as exc:
            # The code or the class only: never what the citizen wrote.
            logger.warning("report from the chat not registered: %s", getattr(exc, "code", exc))
            dispatcher.utter_message(response=UTTER_REPORT_FAILED, kundtjanst_phone=phone)
            return done
        dispatcher.utter_message(
            response=UTTER_REPORT_REGISTERED, case_number=case.number, kundtjanst_phone=phone
        )
        return done
