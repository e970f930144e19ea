"""Fixtures of the integration tests: a PostgreSQL schema of their own (skipped without
the server), Sanic's test mode, and the review tool's SQLite database."""

from __future__ import annotations

import pytest

from tests.helpers.services import postgres_schema_or_skip


@pytest.fixture
def postgres_url():
    with postgres_schema_or_skip() as url:
        yield url


@pytest.fixture(autouse=True)
def _sanic_test_mode(monkeypatch):
    """Sanic refuses a second app of the same name unless in test mode; the tests make many."""
    from sanic import Sanic

    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def db_url(tmp_path) -> str:
    """The review tool's test conversations (tests/helpers/review.py) in a SQLite tracker
    store, with a thumbs down on snow-1's answer and the reviewer `rita`. A test file that
    needs more adds it in a `db_url(db_url)` fixture of its own; one that needs another
    database defines its own `db_url`."""
    from bot.review import accounts
    from tests.helpers.review import add_feedback, add_staff, sqlite_store, write_conversations

    url, store = sqlite_store(tmp_path / "tracker.db")
    write_conversations(store)
    add_feedback(url, "snow-1", 1, "down")
    add_staff(url, "rita", accounts.REVIEWER)
    return url
