"""Gallring: conversations whose last event is older than RETENTION_DAYS are deleted
(through the same delete_conversation as "Radera min chatt"), and each purge is logged,
on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot.store.retention
from bot.adapters.tracker_store import MaskingSQLTrackerStore
from bot.paths import PROJECT_ROOT
from bot.store.conversations import delete_conversation
from bot.store.retention import (
    DEFAULT_RETENTION_DAYS,
    DailyPurge,
    purge_older_than,
    read_purge_log,
    retention_days,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
DAY = 24 * 3600


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    return request.getfixturevalue("postgres_url")


def store_conversation(db_url: str, sender: str, days_ago: list[float]) -> int:
    """A conversation through the real tracker store, one user+bot turn per age."""
    store = (
        MaskingSQLTrackerStore(host=db_url)
        if not db_url.startswith("sqlite")
        else MaskingSQLTrackerStore(dialect="sqlite", db=db_url.split("sqlite:///", 1)[1])
    )
    events = []
    for age in days_ago:
        at = NOW.timestamp() - age * DAY
        events += [
            UserUttered("hej", timestamp=at),
            BotUttered("Hej!", timestamp=at + 1),
            ActionExecuted("action_listen", timestamp=at + 2),
        ]
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()
    return len(events)


def senders(db_url: str) -> set[str]:
    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        found = {s for (s,) in connection.execute(sa.text("select distinct sender_id from events"))}
    engine.dispose()
    return found


@pytest.mark.parametrize(
    "env, days",
    [
        ({}, 90),
        ({"RETENTION_DAYS": ""}, 90),
        ({"RETENTION_DAYS": "30"}, 30),
        ({"RETENTION_DAYS": " 365 "}, 365),
    ],
)
def test_retention_days_from_the_environment(env, days):
    assert retention_days(env) == days
    assert DEFAULT_RETENTION_DAYS == 90


@pytest.mark.parametrize("value", ["0", "-5", "90d", "1.5", "nittio"])
def test_bad_retention_days_are_clear_errors(value):
    with pytest.raises(ValueError, match="RETENTION_DAYS"):
        retention_days({"RETENTION_DAYS": value})


def test_purge_deletes_conversations_whose_last_event_is_old_and_logs_it(db_url):
    old = store_conversation(db_url, "old", [200, 120, 95])
    store_conversation(db_url, "old-but-came-back", [200, 10])
    store_conversation(db_url, "recent", [1])
    store_conversation(db_url, "just-inside", [89.9])

    result = purge_older_than(db_url, 90, "pytest", now=NOW)

    assert (result.conversations, result.events) == (1, old)
    assert result.cutoff == NOW - timedelta(days=90)
    assert senders(db_url) == {"old-but-came-back", "recent", "just-inside"}
    [logged] = read_purge_log(db_url)
    assert logged == result
    assert (logged.ran_at, logged.retention_days, logged.ran_by) == (NOW, 90, "pytest")

    again = purge_older_than(db_url, 90, "pytest again", now=NOW)
    assert (again.conversations, again.events) == (0, 0)
    assert [r.ran_by for r in read_purge_log(db_url)] == ["pytest", "pytest again"]


def test_purge_uses_the_same_deletion_as_radera_min_chatt(db_url, monkeypatch):
    store_conversation(db_url, "old-1", [100])
    store_conversation(db_url, "old-2", [300])
    deleted: list[str] = []

    def spy(url: str, sender_id: str) -> int:
        deleted.append(sender_id)
        return delete_conversation(url, sender_id)

    monkeypatch.setattr(bot.store.retention, "delete_conversation", spy)
    assert purge_older_than(db_url, 90, "pytest", now=NOW).conversations == 2
    assert sorted(deleted) == ["old-1", "old-2"]


def test_purge_of_an_empty_database_is_logged(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = purge_older_than(url, 90, "pytest", now=NOW)
    assert (result.conversations, result.events) == (0, 0)
    assert read_purge_log(url) == [result]


def test_bot_purge_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store_conversation(url, "ancient", [400])
    store_conversation(url, "last-week", [7])
    env = {**os.environ, "TRACKER_DB_URL": url, "RETENTION_DAYS": "30"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "purge"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Purged 1 conversations (3 events)" in done.stdout
    assert "retention 30 days" in done.stdout
    assert senders(url) == {"last-week"}
    [logged] = read_purge_log(url)
    assert logged.ran_by.startswith("bot purge (user ")
    assert (logged.conversations, logged.events, logged.retention_days) == (1, 3, 30)


def test_bot_purge_with_unreachable_database_is_a_clear_error():
    env = {**os.environ, "TRACKER_DB_URL": "postgresql://127.0.0.1:1/x"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "purge"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    assert "Cannot reach the tracker store database postgresql://127.0.0.1:1/x" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_daily_purge_runs_at_start_and_then_every_interval(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store_conversation(url, "ancient", [400])
    purge = DailyPurge(url, 90, "pytest daily", interval=0.2).start()
    time.sleep(1.0)
    purge.stop()
    logged = read_purge_log(url)
    assert len(logged) >= 3
    assert logged[0].conversations == 1 and all(r.conversations == 0 for r in logged[1:])
    assert senders(url) == set()


def test_daily_purge_survives_a_failing_database(tmp_path, caplog):
    purge = DailyPurge("postgresql://127.0.0.1:1/x", 90, "pytest", interval=60)
    assert purge.run_once() is None
    assert "daily purge of old conversations failed" in caplog.text
