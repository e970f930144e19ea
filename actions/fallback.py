"""Two-stage fallback, first stage: offer the likeliest meanings as buttons.

Rasa's TwoStageFallbackAction calls this action when NLU is unsure. The citizen picks
one of the likeliest intents (with the service, when one was named) or "Något annat",
which makes Rasa ask them to rephrase; a second miss ends with Kundtjänst's contact.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.dispatch import answer_language, intent_payload
from bot.core.catalog import default_store
from bot.core.message_language import ENGLISH
from bot.core.texts import load_texts
from bot.names import (
    ACTION_ASK_AFFIRMATION,
    ENTITY_SERVICE,
    INTENT_NLU_FALLBACK,
    INTENT_OUT_OF_SCOPE,
    SERVICE_INTENTS,
    UTTER_ASK_AFFIRMATION,
)

MAX_SUGGESTIONS = 3


class ActionAskAffirmation(Action):
    def name(self) -> str:
        return ACTION_ASK_AFFIRMATION

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        texts = load_texts()
        catalog = default_store().get()
        english = answer_language(tracker) == ENGLISH
        labels = texts.intent_labels_en if english else texts.intent_labels
        message = tracker.latest_message
        service_id = next(
            (
                e.get("value")
                for e in message.get("entities", []) or []
                if e.get("entity") == ENTITY_SERVICE and catalog.get(e.get("value"))
            ),
            None,
        )
        declaration = catalog.get(service_id)
        buttons = []
        for ranked in message.get("intent_ranking", []) or []:
            intent = ranked.get("name")
            if intent in (INTENT_NLU_FALLBACK, INTENT_OUT_OF_SCOPE) or intent not in labels:
                continue
            title = labels[intent]
            payload_service = None
            if declaration and intent in SERVICE_INTENTS:
                name = declaration.en.name if english and declaration.en else declaration.name
                title = f"{title}: {name}"
                payload_service = declaration.id
            buttons.append({"title": title, "payload": intent_payload(intent, payload_service)})
            if len(buttons) == MAX_SUGGESTIONS:
                break
        something_else = intent_payload(INTENT_OUT_OF_SCOPE)
        something_else_title = texts.something_else_en if english else texts.something_else
        buttons.append({"title": something_else_title, "payload": something_else})
        dispatcher.utter_message(response=UTTER_ASK_AFFIRMATION, buttons=buttons)
        return []
