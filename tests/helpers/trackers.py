"""Build rasa_sdk Trackers from events and run actions against the real domain."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


def user_message(
    text: str,
    intent: str,
    entities: list[dict[str, Any]] | None = None,
    ranking: list[tuple[str, float]] | None = None,
) -> dict[str, Any]:
    ranking = ranking or [(intent, 0.95)]
    return {
        "text": text,
        "intent": {"name": intent, "confidence": ranking[0][1]},
        "entities": entities or [],
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
    }


def service_entity(value: str, entity: str = "service") -> dict[str, Any]:
    return {"entity": entity, "value": value, "start": 0, "end": 1, "confidence": 1.0}


def make_tracker(
    message: dict[str, Any], slots: dict[str, Any] | None = None, sender: str = "test-user"
) -> Tracker:
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": message["text"], "parse_data": message},
    ]
    return Tracker(
        sender_id=sender,
        slots=slots or {},
        latest_message=message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_action(
    action: Action, tracker: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, domain)
    return events, dispatcher.messages


def variation(domain: dict[str, Any], response: str, language: str = "sv") -> str:
    """The response's text as Rasa picks it: the variation whose condition on the
    `language` slot matches, else the one without a condition."""
    variations = domain["responses"][response]
    for item in variations:
        conditions = item.get("condition") or []
        if conditions and all(
            c.get("name") == "language" and c.get("value") == language for c in conditions
        ):
            return str(item["text"])
    return str(next(item["text"] for item in variations if not item.get("condition")))


def render(message: dict[str, Any], domain: dict[str, Any], language: str = "sv") -> str:
    """The text the citizen would see: the response filled with the action's values."""
    response = message.get("response")
    if not response:
        return message.get("text") or ""
    template = variation(domain, response, language)
    values = {k: v for k, v in message.items() if isinstance(v, str)}
    values.update({k: v for k, v in (message.get("kwargs") or {}).items()})
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template
