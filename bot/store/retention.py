"""Gallring: delete conversations the municipality no longer keeps, and log each purge.

The retention period is the municipality's decision, set with RETENTION_DAYS (default
90). A conversation is old when its *last* event is older than the cutoff (now minus the
retention period); old conversations are deleted whole, each with
`bot.store.conversations.delete_conversation` -- the same code as the web widget's "Radera min
chatt" -- and every purge writes one row to the `purge_log` table in the same database:
when it ran, the cutoff, the retention period, how many conversations and events it
deleted, and who or what ran it.

The purge refers to the municipality's *gallringsbeslut*: RETENTION_DECISION names it
(for example "KS 2026-123 § 45"), and every purge_log row carries it; unset, the row says
that no decision was given. A conversation on hold (bot/store/holds.py) is never purged:
the purge skips it and logs how many old conversations it kept for that reason.

Cases (citizens' reports, bot/store/cases.py) are purged CASE_RETENTION_DAYS after they
were closed, under the same decision, by `purge_cases`; each run writes one row to
`case_purge_log` (cases deleted, and how many closed cases it kept because they are on
hold; the log line names their numbers, which hold no personal data).

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

from bot.settings import SettingsError, number, raw
from bot.store.cases import case_retention_days, purge_closed_cases
from bot.store.conversations import delete_conversation, engine_for, events
from bot.store.holds import held_senders

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
    sa.Column("decision", sa.String(255)),  # the gallringsbeslut (RETENTION_DECISION)
    sa.Column("held", sa.Integer),  # old conversations kept because they are on hold
)
case_purge_log = sa.Table(
    "case_purge_log",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ran_at", sa.DateTime, nullable=False),  # UTC
    sa.Column("cutoff", sa.DateTime, nullable=False),  # UTC: cases closed before it go
    sa.Column("retention_days", sa.Integer, nullable=False),
    sa.Column("cases", sa.Integer, nullable=False),
    sa.Column("held", sa.Integer, nullable=False),  # closed long enough ago, kept on hold
    sa.Column("ran_by", sa.String(255), nullable=False),
    sa.Column("decision", sa.String(255)),
)
# Columns added after the table was first made: added to an existing table on first use.
_ADDED_COLUMNS = {"decision": "VARCHAR(255)", "held": "INTEGER"}
MAX_DECISION_CHARS = 255


def retention_days(env: Mapping[str, str] | None = None) -> int:
    """RETENTION_DAYS as a whole number of days, at least 1 (default 90); a bad value
    raises SettingsError (a ValueError)."""
    return number(env, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS, minimum=1, unit="days")


def retention_decision(env: Mapping[str, str] | None = None) -> str | None:
    """RETENTION_DECISION: the reference of the gallringsbeslut the purge carries out
    (None when unset); longer than 255 characters raises SettingsError."""
    value = (raw(env, "RETENTION_DECISION") or "").strip()
    if len(value) > MAX_DECISION_CHARS:
        raise SettingsError(f"RETENTION_DECISION: at most {MAX_DECISION_CHARS} characters")
    return value or None


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
    decision: str | None = None
    held: int = 0

    def summary(self) -> str:
        decision = self.decision or "no retention decision (RETENTION_DECISION) given"
        return (
            f"Purged {self.conversations} conversations ({self.events} events) whose "
            f"last event was before {self.cutoff:%Y-%m-%d %H:%M} UTC "
            f"(retention {self.retention_days} days, under {decision}); "
            f"kept {self.held} on hold."
        )


def old_conversations(db_url: str, cutoff: datetime) -> list[str]:
    """Sender ids whose last event is older than `cutoff` (an aware datetime), held or not."""
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
    db_url: str,
    days: int,
    ran_by: str,
    now: datetime | None = None,
    decision: str | None = None,
) -> PurgeResult:
    """Delete every conversation whose last event is more than `days` days old, except
    those on hold; log it with the gallringsbeslut (`decision`; None: RETENTION_DECISION)."""
    if days < 1:
        raise ValueError("the retention period must be at least 1 day")
    if decision is None:
        decision = retention_decision()
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    engine = engine_for(db_url)
    with engine.connect() as connection:
        on_hold = held_senders(connection)
    conversations = deleted_events = held = 0
    for sender_id in old_conversations(db_url, cutoff):
        if sender_id in on_hold:
            held += 1
            continue
        deleted = delete_conversation(db_url, sender_id)
        if deleted.events:
            conversations += 1
            deleted_events += deleted.events
    result = PurgeResult(now, cutoff, days, conversations, deleted_events, ran_by, decision, held)
    _ensure_purge_log(engine)
    with engine.begin() as connection:
        connection.execute(
            purge_log.insert().values(
                ran_at=_utc_naive(now),
                cutoff=_utc_naive(cutoff),
                retention_days=days,
                conversations=conversations,
                events=deleted_events,
                ran_by=ran_by,
                decision=decision,
                held=held,
            )
        )
    logger.info("%s Ran by %s.", result.summary(), ran_by)
    return result


def _ensure_purge_log(engine: sa.engine.Engine) -> None:
    """Create purge_log, or add the columns a table made by an older version lacks."""
    purge_log.create(engine, checkfirst=True)
    present = {column["name"] for column in sa.inspect(engine).get_columns(purge_log.name)}
    missing = {name: kind for name, kind in _ADDED_COLUMNS.items() if name not in present}
    if missing:
        with engine.begin() as connection:
            for name, kind in missing.items():
                connection.execute(sa.text(f"ALTER TABLE purge_log ADD COLUMN {name} {kind}"))


def read_purge_log(db_url: str) -> list[PurgeResult]:
    """Every purge logged in the database, oldest first (times are UTC)."""
    engine = engine_for(db_url)
    if not sa.inspect(engine).has_table(purge_log.name):
        return []
    _ensure_purge_log(engine)
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
            row.decision,
            row.held or 0,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class CasePurgeResult:
    ran_at: datetime
    cutoff: datetime
    retention_days: int
    cases: int
    held: int
    ran_by: str
    decision: str | None = None

    def summary(self) -> str:
        decision = self.decision or "no retention decision (RETENTION_DECISION) given"
        return (
            f"Purged {self.cases} cases closed before {self.cutoff:%Y-%m-%d %H:%M} UTC "
            f"(retention {self.retention_days} days, under {decision}); "
            f"kept {self.held} on hold."
        )


def purge_cases(
    db_url: str,
    days: int,
    ran_by: str,
    now: datetime | None = None,
    decision: str | None = None,
) -> CasePurgeResult:
    """Delete cases closed more than `days` days ago, except those on hold, and log it in
    case_purge_log with the gallringsbeslut (`decision`; None: RETENTION_DECISION)."""
    if decision is None:
        decision = retention_decision()
    now = now or datetime.now(timezone.utc)
    purged = purge_closed_cases(db_url, days, now)
    result = CasePurgeResult(
        now, purged.cutoff, days, purged.deleted, len(purged.held), ran_by, decision
    )
    engine = engine_for(db_url)
    case_purge_log.create(engine, checkfirst=True)
    with engine.begin() as connection:
        connection.execute(
            case_purge_log.insert().values(
                ran_at=_utc_naive(now),
                cutoff=_utc_naive(purged.cutoff),
                retention_days=days,
                cases=purged.deleted,
                held=len(purged.held),
                ran_by=ran_by,
                decision=decision,
            )
        )
    kept = f" Kept on hold: {', '.join(purged.held)}." if purged.held else ""
    logger.info("%s Ran by %s.%s", result.summary(), ran_by, kept)
    return result


def read_case_purge_log(db_url: str) -> list[CasePurgeResult]:
    """Every purge of cases logged in the database, oldest first (times are UTC)."""
    engine = engine_for(db_url)
    if not sa.inspect(engine).has_table(case_purge_log.name):
        return []
    with engine.connect() as connection:
        rows = connection.execute(sa.select(case_purge_log).order_by(case_purge_log.c.id)).all()
    return [
        CasePurgeResult(
            row.ran_at.replace(tzinfo=timezone.utc),
            row.cutoff.replace(tzinfo=timezone.utc),
            row.retention_days,
            row.cases,
            row.held,
            row.ran_by,
            row.decision,
        )
        for row in rows
    ]


def purge_cases_now(
    db_url: str, ran_by: str, env: Mapping[str, str] | None = None
) -> CasePurgeResult | None:
    """The daily purge's step for cases: closed cases older than CASE_RETENTION_DAYS go,
    with their notes and contact details, unless on hold. A failure is logged and tried
    again the next day (None)."""
    try:
        return purge_cases(db_url, case_retention_days(env), ran_by)
    except Exception:  # noqa: BLE001 - the bot keeps running; next attempt tomorrow
        logger.exception("The daily purge of closed cases failed")
        return None


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
            purge_cases_now(self.db_url, self.ran_by)  # CASE_RETENTION_DAYS after closing
            self._stop.wait(self.interval)
