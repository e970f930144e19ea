"""bot/adapters/session_start.py: a remote action_session_start that fails (action server
down) falls back to Rasa's own session start, so the turn's rules still match; any other
failing remote action still fails."""

from __future__ import annotations

import asyncio

import pytest


def run_remote(name: str):
    from rasa.core.actions.action import RemoteAction
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    import bot.adapters  # noqa: F401 - installs the fallback

    domain = Domain.empty()
    nothing_listens = EndpointConfig("http://127.0.0.1:9/webhook")  # port 9: refused
    action = RemoteAction(name, nothing_listens)
    tracker = DialogueStateTracker("down", [])
    output = CollectingOutputChannel()
    nlg = TemplatedNaturalLanguageGenerator({})
    return asyncio.run(action.run(output, nlg, tracker, domain)), output.messages


def test_a_failed_session_start_starts_the_session_the_rasa_way():
    events, said = run_remote("action_session_start")
    assert [type(e).__name__ for e in events] == ["SessionStarted", "ActionExecuted"]
    assert events[-1].action_name == "action_listen"
    assert said == []  # nothing said: the channel's fault reply goes out


def test_other_failed_remote_actions_still_fail():
    from rasa.shared.exceptions import RasaException

    with pytest.raises(RasaException):
        run_remote("action_answer_service")
