"""Talk to a human: Kundtjänst's contact, hours, and whether it is open right now."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.dispatch import answer_language, send
from bot.core.answers import kundtjanst_replies
from bot.core.catalog import default_store
from bot.core.clock import now_in_sweden
from bot.names import ACTION_HUMAN_HANDOFF


class ActionHumanHandoff(Action):
    def name(self) -> str:
        return ACTION_HUMAN_HANDOFF

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        catalog = default_store().get()
        replies = kundtjanst_replies(catalog, now_in_sweden())
        send(dispatcher, replies, catalog, answer_language(tracker))
        return []
