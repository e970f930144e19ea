"""Rasa's endpoints.yml, generated from environment variables.

Configuration is by environment only, so one code base runs embedded (SQLite, in-memory
lock store) or scaled (PostgreSQL + Redis) without editing files.

| variable             | default                                  |
|----------------------|------------------------------------------|
| ACTION_SERVER_URL    | http://127.0.0.1:$ACTION_PORT/webhook    |
| TRACKER_DB_URL       | sqlite:///var/tracker.db (SQLAlchemy URL) |
| LOCK_STORE_URL       | unset = in-memory; redis://host:port/db  |
| LOCK_STORE_IMPLEMENTATION | atomic (bot/adapters/lock_store.py); rasa = stock, for comparison |

The tracker store is Rasa's SQL store with masking (bot/adapters/tracker_store.py): personal data
is masked again right before anything is saved, whichever channel it came through.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import yaml

from bot.store.database import TrackerDBUnreachable, describe_db_url, tracker_db_url

TRACKER_STORE_TYPE = "bot.adapters.tracker_store.MaskingSQLTrackerStore"


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
        if parsed.query:  # e.g. ?sslmode=require or ?options=-csearch_path%3Dschema
            config["query"] = dict(parse_qsl(parsed.query))
        return config
    raise ValueError(f"TRACKER_DB_URL {url!r}: only sqlite:/// and postgresql:// are supported")


LOCK_STORE_TYPES = {
    # Rasa's ticket lock in Redis with atomic changes (bot/adapters/lock_store.py): the default.
    "atomic": "bot.adapters.lock_store.AtomicRedisLockStore",
    # Rasa's stock RedisLockStore, which loses messages when two replicas take the same
    # conversation at once; only for showing that (tests/e2e/test_scaling.py, bench-scale).
    "rasa": "redis",
}


def lock_store_config(url: str | None, implementation: str = "atomic") -> dict | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme != "redis":
        raise ValueError(f"LOCK_STORE_URL {url!r}: expected redis://host:port/db")
    if implementation not in LOCK_STORE_TYPES:
        raise ValueError(
            f"LOCK_STORE_IMPLEMENTATION {implementation!r}: expected one of "
            f"{', '.join(LOCK_STORE_TYPES)}"
        )
    config = {
        "type": LOCK_STORE_TYPES[implementation],
        "url": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 6379,
        "db": int((parsed.path or "/0").lstrip("/") or 0),
        "key_prefix": "skelleftea",
    }
    if parsed.password:
        config["password"] = parsed.password
    return config


def endpoints(env: Mapping[str, str] | None = None) -> dict:
    environ: Mapping[str, str] = os.environ if env is None else env
    action_port = environ.get("ACTION_PORT", "5055")
    action_url = environ.get("ACTION_SERVER_URL") or f"http://127.0.0.1:{action_port}/webhook"
    config: dict = {
        "action_endpoint": {"url": action_url},
        "tracker_store": tracker_store_config(tracker_db_url(environ)),
    }
    lock = lock_store_config(
        environ.get("LOCK_STORE_URL"), environ.get("LOCK_STORE_IMPLEMENTATION") or "atomic"
    )
    if lock:
        config["lock_store"] = lock
    return config


def write_generated_yaml(path: Path, data: dict, generator: str, private: bool = False) -> Path:
    """A YAML file Rasa reads, written from `data` with a header naming its `generator`;
    readable by its owner only when `private` (it may hold a password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"# Generated from environment variables by {generator}; do not edit.\n"
        + yaml.safe_dump(data, sort_keys=False),
        encoding="utf-8",
    )
    if private:
        path.chmod(0o600)
    return path


def write_endpoints(path: Path, env: Mapping[str, str] | None = None) -> Path:
    # It may hold the database password.
    return write_generated_yaml(path, endpoints(env), "bot/ops/endpoints.py", private=True)


def create_database_if_missing(url: str, timeout: float = 5) -> bool:
    """Create the PostgreSQL database named in `url` when it does not exist (connecting
    to the server's `postgres` database). True if it was created. `make run-scaled` uses
    it for its default database; SQLite files are created by Rasa itself."""
    import sqlalchemy as sa

    if not url.startswith("postgres"):
        return False
    parsed = sa.engine.make_url(url)
    name = parsed.database or "postgres"
    engine = sa.create_engine(
        parsed.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": max(1, int(timeout))},
    )
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                sa.text("select 1 from pg_database where datname = :name"), {"name": name}
            ).first()
            if exists:
                return False
            quoted = engine.dialect.identifier_preparer.quote(name)
            connection.execute(sa.text(f"create database {quoted}"))
            return True
    except Exception as exc:  # noqa: BLE001 - driver errors vary
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise TrackerDBUnreachable(
            f"Cannot create the tracker store database {describe_db_url(url)}: {reason}"
        ) from exc
    finally:
        engine.dispose()


class LockStoreUnreachable(Exception):
    """The Redis lock store cannot be reached; the message says where and why."""


def check_lock_store(url: str | None, timeout: float = 5) -> None:
    """Ping the Redis lock store once (nothing to check for the in-memory default)."""
    config = lock_store_config(url)
    if config is None:
        return
    import redis

    client = redis.Redis(
        host=config["url"],
        port=config["port"],
        db=config["db"],
        password=config.get("password"),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        raise LockStoreUnreachable(
            f"Cannot reach the lock store {describe_db_url(url or '')}: {exc}"
        ) from exc
    finally:
        client.close()


def scaling_problem(replicas: int, env: Mapping[str, str] | None = None) -> str | None:
    """Why `replicas` Rasa processes would be unsafe with this configuration, or None.

    Several replicas must share one tracker store that all of them reach (not a SQLite
    file) and take each conversation's messages one at a time (the Redis lock store):
    Rasa's own rule, which it applies to SANIC_WORKERS too.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    if replicas <= 1:
        return None
    if tracker_db_url(environ).startswith("sqlite"):
        return (
            "several Rasa replicas need a shared tracker store: set TRACKER_DB_URL "
            "to a postgresql:// URL"
        )
    if not environ.get("LOCK_STORE_URL"):
        return (
            "several Rasa replicas need the Redis lock store: set LOCK_STORE_URL "
            "(e.g. redis://127.0.0.1:6379/0)"
        )
    return None
