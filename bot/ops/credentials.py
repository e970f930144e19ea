"""Rasa's credentials.yml (its input channels), generated from the environment.

REST only, by default: the widget talks to the web app, which calls Rasa's REST webhook;
nothing of ours uses socket.io. Rasa's socket.io channel lets the client choose its
session id, and that id is the conversation: a client that joins another's id receives
every reply the bot sends there and can post into it. So it is off unless asked for:
`SOCKETIO_ENABLED=1` adds the masking socket.io channel at `/socket.io` (read the risk in
docs/DEPLOYMENT.md first); `0` or unset leaves it off.

`bot run` writes this file next to endpoints.yml at every start; the balancer then also
routes `/socket.io/` (bot/ops/balancer.py). The `credentials.yml` in the repository is the
default written out, for running `rasa run` by hand or from a unit file
(tests/unit/test_credentials.py keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.ops.endpoints import write_generated_yaml
from bot.settings import SettingsError, raw

SOCKETIO_ENABLED = "SOCKETIO_ENABLED"
REST_CHANNEL = "bot.adapters.channels.MaskingRestInput"
SOCKETIO_CHANNEL = "bot.adapters.channels.MaskingSocketIOInput"
SOCKETIO_SETTINGS = {
    "user_message_evt": "user_uttered",
    "bot_message_evt": "bot_uttered",
    "session_persistence": True,
}


def socketio_enabled(env: Mapping[str, str] | None = None) -> bool:
    """SOCKETIO_ENABLED: "1" on, "0" or not set off; anything else is refused rather than
    guessed (a "false" must not switch on a channel with client-chosen session ids)."""
    value = raw(env, SOCKETIO_ENABLED)
    if value not in (None, "0", "1"):
        raise SettingsError(f"{SOCKETIO_ENABLED}={value!r}: expected 1 (on) or 0 (off)")
    return value == "1"


def credentials(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Rasa's input channels: our masking REST channel, and socket.io only if enabled."""
    channels: dict[str, Any] = {REST_CHANNEL: None}
    if socketio_enabled(env):
        channels[SOCKETIO_CHANNEL] = dict(SOCKETIO_SETTINGS)
    return channels


def write_credentials(path: Path, env: Mapping[str, str] | None = None) -> Path:
    return write_generated_yaml(path, credentials(env), "bot/ops/credentials.py")
