"""Turn bot/ replies into dispatcher calls, and build buttons from the catalog."""

from __future__ import annotations

from collections.abc import Iterable

from rasa_sdk.executor import CollectingDispatcher

from bot.core.answers import Reply
from bot.core.catalog import Catalog
from bot.core.payloads import intent_payload

__all__ = ["intent_payload", "send", "service_buttons"]


def send(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        dispatcher.utter_message(response=reply.response, **reply.values)
        if reply.card:
            dispatcher.utter_message(json_message=reply.card)


def service_buttons(catalog: Catalog, intent: str) -> list[dict[str, str]]:
    return [
        {"title": d.name, "payload": intent_payload(intent, d.id)} for d in catalog.sorted_by_name()
    ]
