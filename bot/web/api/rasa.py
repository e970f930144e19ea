"""The one outside service the API talks to: Rasa's REST channel.

Rasa answers a message with a list of `{"recipient_id", "text"?, "buttons"?, "custom"?}`.
We pass on only those three fields, checked. Rasa down, slow, erroring or answering
nothing at all (which is what it does when the action server is down) is `RasaUnavailable`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.core.payloads import intent_payload
from bot.names import INTENT_START_REPORT

WEBHOOK_PATH = "/webhooks/rest/webhook"
# The offer's button that starts the report as chat turns (report_form): the widget has
# its own report form (the offer's `report_offer` card), so the API does not pass it on.
_CHAT_REPORT_PAYLOAD = intent_payload(INTENT_START_REPORT)


class RasaUnavailable(Exception):
    """No usable answer from Rasa; the message says why (for the log, not the citizen)."""


def _message(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    message: dict[str, Any] = {}
    if isinstance(raw.get("text"), str):
        message["text"] = raw["text"]
    buttons = [
        {"title": b["title"], "payload": b["payload"]}
        for b in raw.get("buttons") or []
        if isinstance(b, dict)
        and isinstance(b.get("title"), str)
        and isinstance(b.get("payload"), str)
        and b["payload"] != _CHAT_REPORT_PAYLOAD
    ]
    if buttons:
        message["buttons"] = buttons
    if isinstance(raw.get("custom"), dict):
        message["custom"] = raw["custom"]
    return message or None


async def send_message(
    session: aiohttp.ClientSession,
    rasa_url: str,
    sender: str,
    message: str,
    timeout: float,
    message_id: str | None = None,
) -> list[dict[str, Any]]:
    """Rasa's answer to `message`. `message_id`, when given, is stored by Rasa with the
    user event (our channel passes it on), so the message can be found again."""
    payload = {"sender": sender, "message": message}
    if message_id is not None:
        payload["message_id"] = message_id
    try:
        async with session.post(
            rasa_url + WEBHOOK_PATH,
            json=payload,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            if response.status != 200:
                raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
            body = await response.json(content_type=None)
    except asyncio.TimeoutError as exc:
        raise RasaUnavailable(f"no answer from Rasa within {timeout:g} s") from exc
    except (aiohttp.ClientError, ValueError) as exc:
        raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(body, list):
        raise RasaUnavailable("Rasa's answer is not a list")
    messages = [m for m in (_message(raw) for raw in body) if m]
    if not messages:
        raise RasaUnavailable("Rasa answered nothing (is the action server down?)")
    return messages
