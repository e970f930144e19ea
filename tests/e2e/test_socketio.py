"""socket.io is off unless SOCKETIO_ENABLED=1 (bot/ops/credentials.py): its clients choose
their own session id, so anyone could join another's conversation. The real Rasa server
started by `bot run`'s stack has no socket.io endpoint by default."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.slow

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_rasa_has_no_socketio_by_default(running_bot):
    assert status(running_bot.rasa_url + HANDSHAKE) == 404
    assert status(running_bot.rasa_url + "/") == 200


def test_socketio_when_switched_on(socketio_bot):
    assert status(socketio_bot.rasa_url + HANDSHAKE) == 200
