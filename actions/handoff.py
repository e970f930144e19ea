"""Talk to a human: Kundtjänst's contact, hours, and whether it is open right now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.names import (
    ACTION_HUMAN_HANDOFF,
    UTTER_KUNDTJANST_CLOSED_NOW,
    UTTER_KUNDTJANST_CONTACT,
    UTTER_KUNDTJANST_OPEN_NOW,
)
from bot.core.catalog import default_store
from bot.core.clock import STOCKHOLM, status
from bot.core.texts import load_texts


def now_in_sweden() -> datetime:
    return datetime.now(STOCKHOLM)


class ActionHumanHandoff(Action):
    def name(self) -> str:
        return ACTION_HUMAN_HANDOFF

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        kundtjanst = default_store().get().municipality.kundtjanst
        phone_hours = kundtjanst.phone_hours
        dispatcher.utter_message(
            response=UTTER_KUNDTJANST_CONTACT,
            phone=kundtjanst.phone,
            email=kundtjanst.email,
            phone_hours=phone_hours.weekdays.replace("-", "–"),
            phone_hours_short=(phone_hours.day_before_holiday or phone_hours.weekdays).replace(
                "-", "–"
            ),
            visiting_address=kundtjanst.visiting_address,
            visiting_hours=kundtjanst.visiting_hours.weekdays.replace("-", "–"),
            hours_note=kundtjanst.hours_note or "",
        )
        now = now_in_sweden()
        current = status(phone_hours, now)
        if current.is_open and current.until:
            dispatcher.utter_message(
                response=UTTER_KUNDTJANST_OPEN_NOW, closes=current.until.strftime("%H:%M")
            )
        elif current.next_open:
            texts = load_texts()
            dispatcher.utter_message(
                response=UTTER_KUNDTJANST_CLOSED_NOW,
                next_open_day=texts.day_name(current.next_open.date(), now.date()),
                next_open_time=current.next_open.strftime("%H:%M"),
            )
        return []
