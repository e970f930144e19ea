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
| RATE_LIMIT_ADDRESS_MESSAGES  | 300 (every message, per client address and window) |
| RATE_LIMIT_ADDRESS_READS  | 120 (reads, deletions and ratings, per client address and window) |
| RASA_TIMEOUT_SECONDS      | 10                                        |
| WIDGET_TIMEOUT_SECONDS    | 15 (the widget gives up on an answer)     |
| WEB_TEXTS_FILE            | data/web_texts.yml                        |
| CATALOG_DIR, MUNICIPALITY_FILE | data/declarations, data/municipality.yml |
| WEB_TOKEN_SECRET          | the contents of var/web_token_secret, made on first start |
| WEB_TOKEN_SECRET_FILE     | var/web_token_secret                      |
| OPEN_DATA_LICENSE         | CC0's URI (the open data's licence, an http(s) URI) |
| OPEN_DATA_FILE            | data/open_data.yml (the data set's description) |

WEB_TOKEN_SECRET signs the conversation tokens (bot/web/api/tokens.py): web apps that
must accept each other's tokens share it; a new secret ends every open conversation.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.open_data import CC0, URL_PATTERN
from bot.paths import (
    DEFAULT_CATALOG_DIR,
    DEFAULT_MUNICIPALITY_FILE,
    DEFAULT_TRACKER_DB,
    OPEN_DATA_FILE,
    WEB_TOKEN_SECRET_FILE,
)
from bot.paths import WEB_TEXTS_FILE as DEFAULT_TEXTS_FILE
from bot.settings import SettingsError, number, port, seconds, secret, text
from bot.store.database import tracker_db_url


def license_uri(env: Mapping[str, str], name: str, default: str) -> str:
    """A licence named by its URI (an http(s) address without spaces)."""
    value = text(env, name, default)
    if not re.match(URL_PATTERN, value):
        raise SettingsError(f"{name}={value!r}: expected the licence's http(s) URI")
    return value


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
    # Every message per client address, whichever conversation it belongs to.
    rate_limit_address_messages: int = 300
    # Reading, deleting and rating conversations, per client address.
    rate_limit_address_reads: int = 120
    rasa_timeout_seconds: float = 10.0
    # How long the widget waits for the API before it shows the fault message (a little
    # more than the Rasa timeout, so the API's own 503 normally comes first).
    widget_timeout_seconds: float = 15.0
    texts_file: Path = DEFAULT_TEXTS_FILE
    municipality_file: Path = DEFAULT_MUNICIPALITY_FILE
    catalog_dir: Path = DEFAULT_CATALOG_DIR
    # The licence of the open data (/api/oppna-data/), a URI, and its description's texts.
    open_data_license: str = CC0
    open_data_file: Path = OPEN_DATA_FILE
    # Built directly (tests), a config signs with a secret of its own; from_env reads
    # WEB_TOKEN_SECRET or the file in var/.
    token_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

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
            rate_limit_address_messages=number(env, "RATE_LIMIT_ADDRESS_MESSAGES", 300, minimum=1),
            rate_limit_address_reads=number(env, "RATE_LIMIT_ADDRESS_READS", 120, minimum=1),
            rasa_timeout_seconds=seconds(env, "RASA_TIMEOUT_SECONDS", 10.0),
            widget_timeout_seconds=seconds(env, "WIDGET_TIMEOUT_SECONDS", 15.0),
            texts_file=Path(env.get("WEB_TEXTS_FILE") or DEFAULT_TEXTS_FILE),
            municipality_file=Path(env.get("MUNICIPALITY_FILE") or DEFAULT_MUNICIPALITY_FILE),
            catalog_dir=Path(env.get("CATALOG_DIR") or DEFAULT_CATALOG_DIR),
            open_data_license=license_uri(env, "OPEN_DATA_LICENSE", CC0),
            open_data_file=Path(env.get("OPEN_DATA_FILE") or OPEN_DATA_FILE),
            token_secret=secret(
                env,
                "WEB_TOKEN_SECRET",
                Path(env.get("WEB_TOKEN_SECRET_FILE") or WEB_TOKEN_SECRET_FILE),
            ),
        )
