"""The start of every conversation (and of a new session after a pause): the bot first
says that it is an automated chatbot, not a person, and how to reach one (EU AI Act
article 50), then starts the session as Rasa's own `action_session_start` would.

The disclosure is a response from domain.yml, so the stored bot event carries
`metadata.utter_action = utter_ai_disclosure`: that event is the record that it was shown
(the review tool reads it). Slots are not carried over (domain.yml `session_config`).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted
from rasa_sdk.executor import CollectingDispatcher

from bot.names import ACTION_LISTEN, ACTION_SESSION_START, UTTER_AI_DISCLOSURE


class ActionSessionStart(Action):
    def name(self) -> str:
        return ACTION_SESSION_START

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response=UTTER_AI_DISCLOSURE)
        return [SessionStarted(), ActionExecuted(ACTION_LISTEN)]
