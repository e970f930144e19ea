"""Settings of the web app, read from environment variables (no file edits to deploy).

| variable                  | default                                   |
|---------------------------|-------------------------------------------|
| WEB_HOST                  | $BOT_HOST or 127.0.0.1                    |
| WEB_PORT                  | 8000                                      |
| RASA_URL                  | http://127.0.0.1:$RASA_PORT (5005)        |
| TRACKER_DB_URL            | sqlite:///var/tracker.db (see endpoints)  |
| MAX_MESSAGE_CHARS         | 1000                                      |
| RATE_LIMIT_MESSAGES       | 20 (per conversation and window)          |
| RATE_LIMIT_WINDOW_SECONDS | 60                                        |
| RATE_LIMIT_NEW_CONVERSATIONS | 100 (per client address and window)    |
| RASA_TIMEOUT_SECONDS      | 10                                        |
| WEB_TEXTS_FILE            | data/web_texts.yml                        |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.paths import DEFAULT_MUNICIPALITY_FILE, DEFAULT_TRACKER_DB
from bot.paths import WEB_TEXTS_FILE as DEFAULT_TEXTS_FILE
from bot.settings import SettingsError, number, port, seconds, text
from bot.store.database import tracker_db_url

# One error type for every setting (bot.settings); the old name stays for callers.
ConfigError = SettingsError


@dataclass(frozen=True)
class WebConfig:
    rasa_url: str = "http://127.0.0.1:5005"
    tracker_db_url: str = f"sqlite:///{DEFAULT_TRACKER_DB}"
    host: str = "127.0.0.1"
    port: int = 8000
    max_message_chars: int = 1000
    rate_limit_messages: int = 20
    rate_limit_window_seconds: float = 60.0
    # New conversations per client address: leaving out the sender id must not dodge the
    # limit, yet a school or library behind one address needs room.
    rate_limit_new_conversations: int = 100
    rasa_timeout_seconds: float = 10.0
    texts_file: Path = DEFAULT_TEXTS_FILE
    municipality_file: Path = DEFAULT_MUNICIPALITY_FILE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebConfig:
        env = os.environ if env is None else env
        rasa_port = env.get("RASA_PORT") or "5005"
        return cls(
            rasa_url=(env.get("RASA_URL") or f"http://127.0.0.1:{rasa_port}").rstrip("/"),
            tracker_db_url=tracker_db_url(dict(env)),
            host=env.get("WEB_HOST") or text(env, "BOT_HOST", "127.0.0.1"),
            port=port(env, "WEB_PORT", 8000),
            max_message_chars=number(env, "MAX_MESSAGE_CHARS", 1000, minimum=1),
            rate_limit_messages=number(env, "RATE_LIMIT_MESSAGES", 20, minimum=1),
            rate_limit_window_seconds=seconds(env, "RATE_LIMIT_WINDOW_SECONDS", 60.0),
            rate_limit_new_conversations=number(
                env, "RATE_LIMIT_NEW_CONVERSATIONS", 100, minimum=1
            ),
            rasa_timeout_seconds=seconds(env, "RASA_TIMEOUT_SECONDS", 10.0),
            texts_file=Path(env.get("WEB_TEXTS_FILE") or DEFAULT_TEXTS_FILE),
            municipality_file=Path(env.get("MUNICIPALITY_FILE") or DEFAULT_MUNICIPALITY_FILE),
        )
