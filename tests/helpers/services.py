"""This machine's PostgreSQL and Redis for the tests that need them (integration and end
to end), or a skip that says why not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from bench.harness import POSTGRES_TEST_URL, REDIS_TEST_URL, postgres_schema
from bot.ops.endpoints import LockStoreUnreachable, check_lock_store
from bot.store.database import TrackerDBUnreachable


@contextmanager
def postgres_schema_or_skip(prefix: str = "pytest") -> Iterator[str]:
    """A URL to the PostgreSQL on 127.0.0.1:5432 (database `test`) confined to a fresh
    schema (dropped afterwards), so tests never see or purge others' rows. Skips when the
    server cannot be reached. A context manager, for fixtures of any scope."""
    with ExitStack() as cleanup:
        try:
            url = cleanup.enter_context(postgres_schema(POSTGRES_TEST_URL, prefix))
        except TrackerDBUnreachable as exc:
            pytest.skip(
                f"PostgreSQL on 127.0.0.1:5432 (database test, trust auth) is unreachable: {exc}"
            )
        yield url


def redis_url_or_skip() -> str:
    """The Redis on 127.0.0.1:6379 for the lock store, or skip with the reason."""
    try:
        check_lock_store(REDIS_TEST_URL, timeout=3)
    except LockStoreUnreachable as exc:
        pytest.skip(f"Redis on 127.0.0.1:6379 is unreachable: {exc}")
    return REDIS_TEST_URL
