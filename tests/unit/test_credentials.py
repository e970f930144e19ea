"""Rasa's input channels (bot/ops/credentials.py): REST only unless SOCKETIO_ENABLED=1,
and the repository's credentials.yml is that default."""

from __future__ import annotations

import pytest
import yaml

from bot.ops.credentials import (
    REST_CHANNEL,
    SOCKETIO_CHANNEL,
    credentials,
    socketio_enabled,
    write_credentials,
)
from bot.paths import PROJECT_ROOT
from bot.settings import SettingsError


def test_by_default_rasa_has_no_socketio_channel() -> None:
    assert credentials({}) == {REST_CHANNEL: None}
    assert credentials({"SOCKETIO_ENABLED": "0"}) == {REST_CHANNEL: None}


def test_the_repositorys_credentials_file_is_the_default() -> None:
    """What `rasa run --credentials credentials.yml` (by hand, a unit file) loads."""
    on_disk = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert on_disk == credentials({})
    assert SOCKETIO_CHANNEL not in on_disk


def test_socketio_only_when_asked_for(tmp_path) -> None:
    env = {"SOCKETIO_ENABLED": "1"}
    assert socketio_enabled(env)
    written = yaml.safe_load(write_credentials(tmp_path / "credentials.yml", env).read_text())
    assert written[REST_CHANNEL] is None
    assert written[SOCKETIO_CHANNEL]["session_persistence"] is True


@pytest.mark.parametrize("value", ["false", "no", "off", "yes", "2"])
def test_an_unclear_value_is_refused_not_guessed(value: str) -> None:
    with pytest.raises(SettingsError, match="SOCKETIO_ENABLED"):
        credentials({"SOCKETIO_ENABLED": value})
