"""The tracker store database: where it is (TRACKER_DB_URL), and whether it answers.

Rasa's SQLTrackerStore and our own tables (feedback, the review tool's) share it: SQLite
by default, PostgreSQL when scaled.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from bot.paths import DEFAULT_TRACKER_DB

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def tracker_db_url(env: Mapping[str, str] | None = None) -> str:
    environ: Mapping[str, str] = os.environ if env is None else env
    return environ.get("TRACKER_DB_URL") or f"sqlite:///{DEFAULT_TRACKER_DB}"


def check_supported(url: str) -> None:
    """SQLite with a file, or PostgreSQL; anything else is a ValueError that says so."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        if not (url.split("sqlite:///", 1)[1] if "sqlite:///" in url else ""):
            raise ValueError(f"TRACKER_DB_URL {url!r}: expected sqlite:///path/to/file.db")
        return
    if not scheme.startswith("postgresql"):
        raise ValueError(f"TRACKER_DB_URL {url!r}: only sqlite:/// and postgresql:// are supported")


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

    check_supported(url)  # unsupported URLs are a ValueError with a clear message
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


def sqlite_engine(url: str, future: bool = True) -> Engine:
    """A pooled engine for a SQLite file, for every process that opens the tracker database.

    SQLAlchemy 1.4 otherwise opens a new connection per session (losing SQLite's page cache
    and reading the schema every time). Every connection turns on the write-ahead log, so the
    review tool and the web app read while Rasa writes, and a commit costs one append instead
    of a rewritten journal; `synchronous=NORMAL` is SQLite's recommended setting with WAL (a
    power cut may lose the last commits, never corrupts the file). WAL needs a local disk,
    not a network file system (docs/DEPLOYMENT.md). Waits up to 15 s for another writer.
    """
    import sqlalchemy as sa

    engine = sa.create_engine(
        url,
        future=future,
        poolclass=sa.pool.QueuePool,
        pool_size=4,
        max_overflow=4,
        connect_args={"timeout": 15, "check_same_thread": False},
    )
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
