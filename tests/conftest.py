"""Shared fixtures: the real catalog and domain, trackers built from events, a quickly
trained model, and a running action server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
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


@pytest.fixture(scope="session")
def quick_model() -> Path:
    from bench.training import quick_model

    return quick_model(epochs=int(os.environ.get("TEST_EPOCHS", "40")))


@pytest.fixture(scope="session")
def action_server(tmp_path_factory):
    from bot.ops.stack import Stack

    stack = Stack.on_free_ports(Path("unused"), tmp_path_factory.mktemp("action-server"), {})
    stack.start_action_server()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def running_bot(quick_model, tmp_path_factory):
    """The real action server, Rasa server and web app on free ports, with their own
    SQLite db (`stack.rasa_url`, `stack.web_url`)."""
    from bench.harness import running, sqlite_stack

    with running(sqlite_stack(quick_model, tmp_path_factory.mktemp("stack"))) as stack:
        yield stack


@pytest.fixture(scope="session")
def web_bot(quick_model, tmp_path_factory):
    """The whole stack for the browser tests (action server, Rasa, web app) on free ports,
    with its own SQLite db and its own copy of the catalog (`stack.env["CATALOG_DIR"]`),
    which tests may edit: the catalog reloads on change, the real data stays untouched."""
    import shutil

    from bench.harness import running, sqlite_stack
    from bot.core.catalog import DEFAULT_CATALOG_DIR

    log_dir = tmp_path_factory.mktemp("web-stack")
    catalog_dir = log_dir / "declarations"
    shutil.copytree(DEFAULT_CATALOG_DIR, catalog_dir)
    env = {"CATALOG_DIR": str(catalog_dir)}
    with running(sqlite_stack(quick_model, log_dir, env)) as stack:
        yield stack


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


@pytest.fixture(scope="session")
def rest(running_bot) -> Any:
    """The running stack's REST webhook (bench.harness.RestClient)."""
    from bench.harness import RestClient

    return RestClient(running_bot.rasa_url)


@pytest.fixture(scope="session")
def channel_texts() -> Any:
    """The channel's sentences (personal data removed, technical problem) from domain.yml."""
    from bot.adapters.channels import ChannelTexts

    return ChannelTexts.from_domain()


@pytest.fixture(scope="session")
def tracker_db_url(running_bot) -> str:
    """The running stack's TRACKER_DB_URL (for bench.harness.event_rows and friends)."""
    return running_bot.env["TRACKER_DB_URL"]
