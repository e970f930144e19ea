"""Answers about one service: overview, promises and times, expectations, if a promise
is not kept, contact. One action serves all five; the intent picks the aspect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dispatch import send, service_buttons
from actions.names import (
    ACTION_ANSWER_SERVICE,
    ENTITY_SERVICE,
    ENTITY_UNKNOWN_SERVICE,
    INTENT_ASK_CONTACT,
    INTENT_ASK_EXPECTATIONS,
    INTENT_ASK_NOT_KEPT,
    INTENT_ASK_OVERVIEW,
    INTENT_ASK_PROMISES,
    INTENT_INFORM_SERVICE,
    SLOT_ASPECT,
    SLOT_SERVICE,
    UTTER_ASK_WHICH_SERVICE,
)
from bot.core.answers import (
    ASPECTS,
    CONTACT,
    EXPECTATIONS,
    NOT_KEPT,
    OVERVIEW,
    PROMISES,
    service_answer,
    unknown_service_answer,
)
from bot.core.catalog import default_store
from bot.core.clock import STOCKHOLM

INTENT_TO_ASPECT = {
    INTENT_ASK_OVERVIEW: OVERVIEW,
    INTENT_ASK_PROMISES: PROMISES,
    INTENT_ASK_EXPECTATIONS: EXPECTATIONS,
    INTENT_ASK_NOT_KEPT: NOT_KEPT,
    INTENT_ASK_CONTACT: CONTACT,
}
# At most this many services are answered from one message.
MAX_SERVICES_PER_MESSAGE = 3


def _entity_values(tracker: Tracker, entity: str) -> list[str]:
    values: list[str] = []
    for item in tracker.latest_message.get("entities", []) or []:
        value = item.get("value")
        if item.get("entity") == entity and isinstance(value, str) and value not in values:
            values.append(value)
    return values


def today_in_sweden():
    return datetime.now(STOCKHOLM).date()


class ActionAnswerService(Action):
    def name(self) -> str:
        return ACTION_ANSWER_SERVICE

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        catalog = default_store().get()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        # "och för färdtjänst då?" asks the same thing as the previous question.
        previous = tracker.get_slot(SLOT_ASPECT)
        aspect = INTENT_TO_ASPECT.get(intent)
        if aspect is None:
            aspect = previous if previous in ASPECTS else OVERVIEW

        named = [s for s in _entity_values(tracker, ENTITY_SERVICE) if catalog.get(s)]
        unknown = _entity_values(tracker, ENTITY_UNKNOWN_SERVICE)
        if not named and unknown:
            # Never answer about the previous service when a different one was named.
            for name in unknown:
                send(dispatcher, unknown_service_answer(catalog, name))
            return [SlotSet(SLOT_SERVICE, None), SlotSet(SLOT_ASPECT, aspect)]

        remembered = tracker.get_slot(SLOT_SERVICE)
        services = named or ([remembered] if catalog.get(remembered) else [])
        if not services:
            dispatcher.utter_message(
                response=UTTER_ASK_WHICH_SERVICE,
                buttons=service_buttons(catalog, INTENT_INFORM_SERVICE),
            )
            return [SlotSet(SLOT_SERVICE, None), SlotSet(SLOT_ASPECT, aspect)]

        today = today_in_sweden()
        for service_id in services[:MAX_SERVICES_PER_MESSAGE]:
            send(dispatcher, service_answer(catalog, catalog.get(service_id), aspect, today))
        return [
            SlotSet(SLOT_SERVICE, services[min(len(services), MAX_SERVICES_PER_MESSAGE) - 1]),
            SlotSet(SLOT_ASPECT, aspect),
        ]
