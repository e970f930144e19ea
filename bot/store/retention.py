"""Gallring: delete conversations the municipality no longer keeps, and log each purge.

The retention period is the municipality's decision, set with RETENTION_DAYS (default
90). A conversation is old when its *last* event is older than the cutoff (now minus the
retention period); old conversations are deleted whole, each with
`bot.store.conversations.delete_conversation` -- the same code as the web widget's "Radera min
chatt" -- and every purge writes one row to the `purge_log` table in the same database:
when it ran, the cutoff, the retention period, how many conversations and events it
deleted, and who or what ran it.

`bot purge` runs it once; `bot run` runs it at start and then every 24 hours in a
background thread (`DailyPurge`).
"""

from __future__ import annotations

import getpass
import logging
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from bot.settings import number
from bot.store.cases import purge_closed_cases_now
from bot.store.conversations import delete_conversation, engine_for, events

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 90
PURGE_INTERVAL_SECONDS = 24 * 60 * 60

_metadata = sa.MetaData()
purge_log = sa.Table(
    "purge_log",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ran_at", sa.DateTime, nullable=False),  # UTC
    sa.Column("cutoff", sa.DateTime, nullable=False),  # UTC
    sa.Column("retention_days", sa.Integer, nullable=False),
    sa.Column("conversations", sa.Integer, nullable=False),
    sa.Column("events", sa.Integer, nullable=False),
    sa.Column("ran_by", sa.String(255), nullable=False),
)


def retention_days(env: Mapping[str, str] | None = None) -> int:
    """RETENTION_DAYS as a whole number of days, at least 1 (default 90); a bad value
    raises SettingsError (a ValueError)."""
    return number(env, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS, minimum=1, unit="days")


def runner_name(what: str) -> str:
    """Who or what runs a purge, for the log: the command, user, host and process."""
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        user = str(os.getuid())
    return f"{what} (user {user} on {socket.gethostname()}, pid {os.getpid()})"[:255]


@dataclass(frozen=True)
class PurgeResult:
    ran_at: datetime
    cutoff: datetime
    retention_days: int
    conversations: int
    events: int
    ran_by: str

    def summary(self) -> str:
        return (
            f"Purged {self.conversations} conversations ({self.events} events) whose "
            f"last event was before {self.cutoff:%Y-%m-%d %H:%M} UTC "
            f"(retention {self.retention_days} days)."
        )


def old_conversations(db_url: str, cutoff: datetime) -> list[str]:
    """Sender ids whose last event is older than `cutoff` (an aware datetime)."""
    engine = engine_for(db_url)
    if not sa.inspect(engine).has_table(events.name):
        return []
    query = (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(sa.func.max(events.c.timestamp) < cutoff.timestamp())
    )
    with engine.connect() as connection:
        return [sender for (sender,) in connection.execute(query)]


def _utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def purge_older_than(
    db_url: str, days: int, ran_by: str, now: datetime | None = None
) -> PurgeResult:
    """Delete every conversation whose last event is more than `days` days old; log it."""
    if days < 1:
        raise ValueError("the retention period must be at least 1 day")
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    conversations = deleted_events = 0
    for sender_id in old_conversations(db_url, cutoff):
        deleted = delete_conversation(db_url, sender_id)
        if deleted.events:
            conversations += 1
            deleted_events += deleted.events
    result = PurgeResult(now, cutoff, days, conversations, deleted_events, ran_by)
    engine = engine_for(db_url)
    purge_log.create(engine, checkfirst=True)
    with engine.begin() as connection:
        connection.execute(
            purge_log.insert().values(
                ran_at=_utc_naive(now),
                cutoff=_utc_naive(cutoff),
                retention_days=days,
                conversations=conversations,
                events=deleted_events,
                ran_by=ran_by,
            )
        )
    logger.info("%s Ran by %s.", result.summary(), ran_by)
    return result


def read_purge_log(db_url: str) -> list[PurgeResult]:
    """Every purge logged in the database, oldest first (times are UTC)."""
    engine = engine_for(db_url)
    if not sa.inspect(engine).has_table(purge_log.name):
        return []
    with engine.connect() as connection:
        rows = connection.execute(sa.select(purge_log).order_by(purge_log.c.id)).all()
    return [
        PurgeResult(
            row.ran_at.replace(tzinfo=timezone.utc),
            row.cutoff.replace(tzinfo=timezone.utc),
            row.retention_days,
            row.conversations,
            row.events,
            row.ran_by,
        )
        for row in rows
    ]


class DailyPurge:
    """Purge now and then every `interval` seconds in a daemon thread, until stopped.
    A failed purge is logged and tried again at the next interval."""

    def __init__(
        self, db_url: str, days: int, ran_by: str, interval: float = PURGE_INTERVAL_SECONDS
    ) -> None:
        self.db_url, self.days, self.ran_by, self.interval = db_url, days, ran_by, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="daily-purge", daemon=True)

    def start(self) -> DailyPurge:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_once(self) -> PurgeResult | None:
        try:
            return purge_older_than(self.db_url, self.days, self.ran_by)
        except Exception:  # noqa: BLE001 - the bot keeps running; next attempt tomorrow
            logger.exception("The daily purge of old conversations failed")
            return None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            purge_closed_cases_now(self.db_url)  # cases: CASE_RETENTION_DAYS after closing
            self._stop.wait(self.interval)
