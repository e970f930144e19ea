"""Shared fixtures: the real catalog and domain, trackers built from events, a quickly
trained model, and a running action server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from bot.declarations import PROJECT_ROOT, Catalog, load_catalog  # noqa: E402

FACTS_SHEET = PROJECT_ROOT.parent / "shared" / "facts" / "declarations-facts.md"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def quick_model() -> Path:
    from bot.training import quick_model

    return quick_model(epochs=int(os.environ.get("TEST_EPOCHS", "40")))


@pytest.fixture(scope="session")
def action_server(tmp_path_factory):
    from bot.stack import Stack, free_port

    stack = Stack(model=Path("unused"), action_port=free_port(),
                  log_dir=tmp_path_factory.mktemp("action-server"))
    stack.start_action_server()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def running_bot(quick_model, tmp_path_factory):
    """The real action server and Rasa server on free ports with their own SQLite db."""
    from bot.stack import Stack, free_port

    log_dir = tmp_path_factory.mktemp("stack")
    stack = Stack(
        model=quick_model,
        rasa_port=free_port(),
        action_port=free_port(),
        log_dir=log_dir,
        env={"TRACKER_DB_URL": f"sqlite:///{log_dir / 'tracker.db'}"},
    )
    stack.start()
    yield stack
    stack.stop()
