"""Answers to a citizen's question about a service, or about something the municipality
does not handle: one action, which hands the message and what the conversation holds to
the core's answer plan (bot/core/answer_plan.py) and sends what it decides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dispatch import answer_language, send, service_buttons
from bot.core.answer_plan import Question, plan_answer
from bot.core.answers import UTTER_OFFER_REPORT
from bot.core.catalog import Catalog, default_store
from bot.core.clock import now_in_sweden
from bot.core.questions import QuestionIndex, load_vocabulary
from bot.names import (
    ACTION_ANSWER_SERVICE,
    ENTITY_AUTHORITY,
    ENTITY_SERVICE,
    ENTITY_UNKNOWN_SERVICE,
    INTENT_INFORM_SERVICE,
    SLOT_REPORT_OFFERED,
    SLOT_SERVICE,
    SLOT_TOPIC,
    UTTER_ASK_WHICH_SERVICE,
)

_index: tuple[Catalog, QuestionIndex] | None = None


def question_index(catalog: Catalog) -> QuestionIndex:
    """The catalog's texts ready for ranking, rebuilt only when the catalog changes."""
    global _index
    if _index is None or _index[0] is not catalog:
        _index = (catalog, QuestionIndex(catalog, load_vocabulary()))
    return _index[1]


def _entity_values(tracker: Tracker, entity: str) -> list[str]:
    values: list[str] = []
    for item in tracker.latest_message.get("entities", []) or []:
        value = item.get("value")
        if item.get("entity") == entity and isinstance(value, str) and value not in values:
            values.append(value)
    return values


def _known(values: list[str], known: Callable[[str], str | None]) -> list[str]:
    """The values the catalog knows, in the catalog's spelling, each once."""
    result: list[str] = []
    for value in values:
        spelled = known(value)
        if spelled is not None and spelled not in result:
            result.append(spelled)
    return result


class ActionAnswerService(Action):
    def name(self) -> str:
        return ACTION_ANSWER_SERVICE

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        catalog = default_store().get()
        intent = tracker.latest_message.get("intent") or {}
        # Entities may come from the message's payload (`/intent{"service": ...}`), not
        # only from the matcher: only values our catalog knows are used, in its spelling.
        question = Question(
            text=tracker.latest_message.get("text") or "",
            intent=intent.get("name"),
            confidence=float(intent.get("confidence") or 0.0),
            services=_known(_entity_values(tracker, ENTITY_SERVICE), catalog.service_id),
            unknown_services=_known(
                _entity_values(tracker, ENTITY_UNKNOWN_SERVICE), catalog.unknown_service
            ),
            authorities=_known(
                _entity_values(tracker, ENTITY_AUTHORITY),
                lambda value: value if catalog.authority(value) else None,
            ),
            remembered_service=catalog.service_id(tracker.get_slot(SLOT_SERVICE)),
            remembered_topic=tracker.get_slot(SLOT_TOPIC),
            language=answer_language(tracker),
        )
        plan = plan_answer(catalog, question_index(catalog), question, now_in_sweden())
        language = question.language
        if plan.ask_service:
            dispatcher.utter_message(
                response=UTTER_ASK_WHICH_SERVICE,
                buttons=service_buttons(catalog, INTENT_INFORM_SERVICE, language),
            )
        send(dispatcher, plan.replies, catalog, language)
        # "ja" right after the offer to report starts the report (data/rules/report.yml).
        offered = any(reply.response == UTTER_OFFER_REPORT for reply in plan.replies)
        return [
            SlotSet(SLOT_SERVICE, plan.service),
            SlotSet(SLOT_TOPIC, plan.topic),
            SlotSet(SLOT_REPORT_OFFERED, True if offered else None),
        ]
