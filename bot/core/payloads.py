"""The payloads of the bot's own buttons, made and checked in one place.

Knows nothing of Rasa. A button sends Rasa's intent syntax, `/intent` or
`/intent{"service":"<catalog id>"}`, which Rasa takes as the intent and entities
as they stand, without NLU. A citizen can type the same syntax, so whatever arrives
from outside with the leading `/` must be one of the payloads the bot itself could have
sent: an intent its buttons use and, where a service goes with it, a catalog id.
`button_payload` answers that question and gives the payload back in its one spelling.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from bot.core.catalog import Catalog
from bot.names import (
    ENTITY_SERVICE,
    INTENT_ASK_OVERVIEW,
    INTENT_INFORM_SERVICE,
    INTENT_OUT_OF_SCOPE,
    SERVICE_INTENTS,
)

# What Rasa takes as an intent payload (rasa.shared.constants.INTENT_MESSAGE_PREFIX).
PAYLOAD_PREFIX = "/"
# The intents of the buttons that carry a service: the list of services
# (actions/dispatch.service_buttons) and the fallback's suggestions for a named service.
SERVICE_BUTTON_INTENTS = frozenset(SERVICE_INTENTS | {INTENT_INFORM_SERVICE, INTENT_ASK_OVERVIEW})
# "Något annat" in the fallback's suggestions.
FIXED_BUTTON_INTENTS = frozenset({INTENT_OUT_OF_SCOPE})

_PAYLOAD = re.compile(r"/([a-z_]{1,64})(\{.{0,200}\})?", re.DOTALL)


def intent_payload(intent: str, service_id: str | None = None) -> str:
    if service_id:
        return f"{PAYLOAD_PREFIX}{intent}" + json.dumps(
            {ENTITY_SERVICE: service_id}, separators=(",", ":")
        )
    return f"{PAYLOAD_PREFIX}{intent}"


def is_payload(text: str) -> bool:
    """Rasa would read this message as an intent payload, not as words."""
    return text.strip().startswith(PAYLOAD_PREFIX)


def button_payload(text: str, catalog: Catalog, button_intents: Collection[str]) -> str | None:
    """The payload in its one spelling if the bot's buttons could have sent it, else None.

    `button_intents`: the intents the fallback's suggestions may carry (the keys of
    data/texts.yml `intent_labels`); the service buttons' and "Något annat"'s are added.
    """
    match = _PAYLOAD.fullmatch(text.strip())
    if match is None:
        return None
    intent, entities = match.groups()
    allowed = set(button_intents) | SERVICE_BUTTON_INTENTS | FIXED_BUTTON_INTENTS
    if intent not in allowed:
        return None
    if entities is None:
        return intent_payload(intent)
    if intent not in SERVICE_BUTTON_INTENTS:
        return None
    try:
        values = json.loads(entities)
    except ValueError:
        return None
    if not isinstance(values, dict) or list(values) != [ENTITY_SERVICE]:
        return None
    service_id = values[ENTITY_SERVICE]
    if not isinstance(service_id, str) or catalog.get(service_id) is None:
        return None
    return intent_payload(intent, service_id)
