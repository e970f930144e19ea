"""Rasa's endpoints.yml, generated from environment variables.

Configuration is by environment only, so one code base runs embedded (SQLite, in-memory
lock store) or scaled (PostgreSQL + Redis) without editing files.

| variable             | default                                  |
|----------------------|------------------------------------------|
| ACTION_SERVER_URL    | http://127.0.0.1:$ACTION_PORT/webhook    |
| TRACKER_DB_URL       | sqlite:///var/tracker.db (SQLAlchemy URL) |
| LOCK_STORE_URL       | unset = in-memory; redis://host:port/db  |

The tracker store is Rasa's SQL store with masking (bot/tracker_store.py): personal data
is masked again right before anything is saved, whichever channel it came through.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import yaml

from bot.declarations import PROJECT_ROOT

VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_TRACKER_DB = VAR_DIR / "tracker.db"
TRACKER_STORE_TYPE = "bot.tracker_store.MaskingSQLTrackerStore"


def tracker_db_url(env: dict[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("TRACKER_DB_URL") or f"sqlite:///{DEFAULT_TRACKER_DB}"


def tracker_store_config(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url.split("sqlite:///", 1)[1] if "sqlite:///" in url else ""
        if not path:
            raise ValueError(f"TRACKER_DB_URL {url!r}: expected sqlite:///path/to/file.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {"type": TRACKER_STORE_TYPE, "dialect": "sqlite", "db": path}
    if parsed.scheme.startswith("postgresql"):
        config = {
            "type": TRACKER_STORE_TYPE,
            "dialect": "postgresql",
            "url": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 5432,
            "db": (parsed.path or "/").lstrip("/") or "postgres",
        }
        if parsed.username:
            config["username"] = parsed.username
        if parsed.password:
            config["password"] = parsed.password
        return config
    raise ValueError(f"TRACKER_DB_URL {url!r}: only sqlite:/// and postgresql:// are supported")


def lock_store_config(url: str | None) -> dict | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme != "redis":
        raise ValueError(f"LOCK_STORE_URL {url!r}: expected redis://host:port/db")
    config = {
        "type": "redis",
        "url": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 6379,
        "db": int((parsed.path or "/0").lstrip("/") or 0),
        "key_prefix": "skelleftea",
    }
    if parsed.password:
        config["password"] = parsed.password
    return config


def endpoints(env: dict[str, str] | None = None) -> dict:
    env = os.environ if env is None else env
    action_port = env.get("ACTION_PORT", "5055")
    action_url = env.get("ACTION_SERVER_URL") or f"http://127.0.0.1:{action_port}/webhook"
    config: dict = {
        "action_endpoint": {"url": action_url},
        "tracker_store": tracker_store_config(tracker_db_url(env)),
    }
    lock = lock_store_config(env.get("LOCK_STORE_URL"))
    if lock:
        config["lock_store"] = lock
    return config


def write_endpoints(path: Path, env: dict[str, str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Generated from environment variables by bot/endpoints.py; do not edit.\n"
        + yaml.safe_dump(endpoints(env), sort_keys=False),
        encoding="utf-8",
    )
    return path


class TrackerDBUnreachable(Exception):
    """The tracker store database cannot be reached; the message says where and why."""


def describe_db_url(url: str) -> str:
    """The URL without its password, for messages."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@", 1)
    return url


def check_tracker_db(url: str, timeout: float = 5) -> None:
    """Connect to the tracker store database once, or raise TrackerDBUnreachable.

    Rasa's SQLTrackerStore retries an unreachable database forever (every 5 s), so
    `bot run` checks first and stops with a clear message instead.
    """
    import sqlalchemy as sa

    tracker_store_config(url)  # unsupported URLs are a ValueError with a clear message
    connect_args = {"connect_timeout": max(1, int(timeout))} if url.startswith("postgres") else {}
    try:
        engine = sa.create_engine(url, connect_args=connect_args)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("select 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - driver errors vary; all mean "unreachable"
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise TrackerDBUnreachable(
            f"Cannot reach the tracker store database {describe_db_url(url)}: {reason}"
        ) from exc
