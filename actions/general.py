"""Which services the bot knows, and what a serviceförklaring is."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.dispatch import send, service_buttons
from bot.core.answers import serviceforklaring_replies
from bot.core.catalog import SERVICEFORKLARING, SERVICENIVA, default_store
from bot.core.clock import today_in_sweden
from bot.names import (
    ACTION_EXPLAIN_SERVICEFORKLARING,
    ACTION_LIST_SERVICES,
    INTENT_ASK_OVERVIEW,
    UTTER_LIST_SERVICES,
)


class ActionListServices(Action):
    def name(self) -> str:
        return ACTION_LIST_SERVICES

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        catalog = default_store().get()
        by_kind = {
            kind: ", ".join(d.name for d in catalog.sorted_by_name() if d.kind == kind)
            for kind in (SERVICEFORKLARING, SERVICENIVA)
        }
        dispatcher.utter_message(
            response=UTTER_LIST_SERVICES,
            buttons=service_buttons(catalog, INTENT_ASK_OVERVIEW),
            serviceforklaringar=by_kind[SERVICEFORKLARING],
            servicenivaer=by_kind[SERVICENIVA],
        )
        return []


class ActionExplainServiceforklaring(Action):
    def name(self) -> str:
        return ACTION_EXPLAIN_SERVICEFORKLARING

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        send(dispatcher, serviceforklaring_replies(default_store().get(), today_in_sweden()))
        return []
