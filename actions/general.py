"""Which services the bot knows, and what a serviceförklaring is."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.dispatch import answer_language, in_language, send, service_buttons
from bot.core.answers import Reply, serviceforklaring_replies
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
        language = answer_language(tracker)
        by_kind = {
            kind: ", ".join(d.name for d in catalog.sorted_by_name() if d.kind == kind)
            for kind in (SERVICEFORKLARING, SERVICENIVA)
        }
        values = {"serviceforklaringar": by_kind[SERVICEFORKLARING]}
        values["servicenivaer"] = by_kind[SERVICENIVA]
        (reply,) = in_language(catalog, [Reply(UTTER_LIST_SERVICES, values)], language)
        dispatcher.utter_message(
            response=UTTER_LIST_SERVICES,
            buttons=service_buttons(catalog, INTENT_ASK_OVERVIEW, language),
            **reply.values,
        )
        return []


class ActionExplainServiceforklaring(Action):
    def name(self) -> str:
        return ACTION_EXPLAIN_SERVICEFORKLARING

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        catalog = default_store().get()
        replies = serviceforklaring_replies(catalog, today_in_sweden())
        send(dispatcher, replies, catalog, answer_language(tracker))
        return []
