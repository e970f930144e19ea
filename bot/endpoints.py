"""Rasa's endpoints.yml, generated from environment variables.

Configuration is by environment only, so one code base runs embedded (SQLite, in-memory
lock store) or scaled (PostgreSQL + Redis) without editing files.

| variable             | default                                  |
|----------------------|------------------------------------------|
| ACTION_SERVER_URL    | http://127.0.0.1:$ACTION_PORT/webhook    |
| TRACKER_DB_URL       | sqlite:///var/tracker.db (SQLAlchemy URL) |
| LOCK_STORE_URL       | unset = in-memory; redis://host:port/db  |
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import yaml

from bot.declarations import PROJECT_ROOT

VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_TRACKER_DB = VAR_DIR / "tracker.db"


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
        return {"type": "SQL", "dialect": "sqlite", "db": path}
    if parsed.scheme.startswith("postgresql"):
        config = {
            "type": "SQL",
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
