"""A safe start of a conversation when the action server cannot run ours.

Our `action_session_start` (actions/session.py) runs on the action server and says the
AI disclosure first. When that server is down or slow, Rasa 3.6 logs the failed action
with no events: the session never starts, no `action_listen` precedes the citizen's
message, no rule matches and the citizen got "I don't understand" instead of the fault
reply. `install()` makes a failed remote `action_session_start` fall back to Rasa's own
(local) session start, so the turn goes on as before and the channel's fault reply with
Kundtjänst's number goes out. (No disclosure is uttered then: any message would hide the
fault from the channel, bot/adapters/channels.py.)
"""

from __future__ import annotations

import logging
from typing import Any

from bot.names import ACTION_SESSION_START

logger = logging.getLogger(__name__)

_INSTALLED = "_skelleftea_session_start_fallback"


def install() -> None:
    from rasa.core.actions import action

    if getattr(action.RemoteAction, _INSTALLED, False):
        return
    remote_run = action.RemoteAction.run

    async def run(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        try:
            return await remote_run(self, output_channel, nlg, tracker, domain)
        except Exception as exc:
            if self.name() != ACTION_SESSION_START:
                raise
            logger.warning(
                "action_session_start failed on the action server (%s) for conversation "
                "%s; starting the session without the AI disclosure",
                type(exc).__name__,
                tracker.sender_id,
            )
            return await action.ActionSessionStart().run(output_channel, nlg, tracker, domain)

    action.RemoteAction.run = run
    setattr(action.RemoteAction, _INSTALLED, True)
