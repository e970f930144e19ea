"""Turn bot/ replies into dispatcher calls, and build buttons from the catalog."""

from __future__ import annotations

import json
from collections.abc import Iterable

from rasa_sdk.executor import CollectingDispatcher

from bot.core.answers import Reply
from bot.core.catalog import Catalog
from bot.names import ENTITY_SERVICE


def send(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    for reply in replies:
        dispatcher.utter_message(response=reply.response, **reply.values)
        if reply.card:
            dispatcher.utter_message(json_message=reply.card)


def intent_payload(intent: str, service_id: str | None = None) -> str:
    if service_id:
        return f"/{intent}" + json.dumps({ENTITY_SERVICE: service_id}, separators=(",", ":"))
    return f"/{intent}"


def service_buttons(catalog: Catalog, intent: str) -> list[dict[str, str]]:
    return [
        {"title": d.name, "payload": intent_payload(intent, d.id)} for d in catalog.sorted_by_name()
    ]
