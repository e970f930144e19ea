"""What every level of tests needs: the environment defaults, the real catalog and the
real domain. The servers are in tests/e2e/conftest.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from bot.core.catalog import PROJECT_ROOT, Catalog, load_catalog  # noqa: E402

FACTS_SHEET = PROJECT_ROOT.parent / "shared" / "facts" / "declarations-facts.md"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


# --- privacy, retention, faults (issue 6) ---------------------------------------------

POSTGRES_TEST_URL = "postgresql://127.0.0.1:5432/test"


@contextmanager
def postgres_schema(prefix: str = "pytest") -> Iterator[str]:
    """A URL to the PostgreSQL on 127.0.0.1:5432 (database `test`) confined to a fresh
    schema (dropped afterwards), so tests never see or purge others' rows. Skips when the
    server cannot be reached. A context manager, for fixtures of any scope."""
    from bench.harness import postgres_schema as fresh_schema
    from bot.ops.endpoints import TrackerDBUnreachable

    with ExitStack() as cleanup:
        try:
            url = cleanup.enter_context(fresh_schema(POSTGRES_TEST_URL, prefix))
        except TrackerDBUnreachable as exc:
            pytest.skip(
                f"PostgreSQL on 127.0.0.1:5432 (database test, trust auth) is unreachable: {exc}"
            )
        yield url


@pytest.fixture
def postgres_url():
    with postgres_schema() as url:
        yield url


REDIS_TEST_URL = "redis://127.0.0.1:6379/0"


def redis_url_or_skip() -> str:
    """The Redis on 127.0.0.1:6379 for the lock store, or skip with the reason."""
    from bot.ops.endpoints import LockStoreUnreachable, check_lock_store

    try:
        check_lock_store(REDIS_TEST_URL, timeout=3)
    except LockStoreUnreachable as exc:
        pytest.skip(f"Redis on 127.0.0.1:6379 is unreachable: {exc}")
    return REDIS_TEST_URL
