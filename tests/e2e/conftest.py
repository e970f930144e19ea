"""The real servers for the end-to-end tests: a quickly trained model, the action server
alone, or the whole stack (action server, Rasa, web app) on free ports with a SQLite
tracker store of its own, and what the tests use to talk to it and read it back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench.harness import RestClient, running, sqlite_stack
from bot.adapters.channels import ChannelTexts
from bot.core.catalog import DEFAULT_CATALOG_DIR
from bot.ops.stack import Stack


@pytest.fixture(scope="session")
def quick_model() -> Path:
    from bench.training import quick_model

    return quick_model(epochs=int(os.environ.get("TEST_EPOCHS", "40")))


@pytest.fixture(scope="session")
def action_server(tmp_path_factory):
    stack = Stack.on_free_ports(Path("unused"), tmp_path_factory.mktemp("action-server"), {})
    stack.start_action_server()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def web_app_alone(tmp_path_factory):
    """The web app alone (python -m bot.web) on a free port: no model, Rasa not running."""
    log_dir = tmp_path_factory.mktemp("web-only")
    stack = Stack.on_free_ports(
        Path("unused"), log_dir, {"TRACKER_DB_URL": f"sqlite:///{log_dir / 'tracker.db'}"}
    )
    stack.start_web()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def running_bot(quick_model, tmp_path_factory):
    """The real action server, Rasa server and web app on free ports, with their own
    SQLite db (`stack.rasa_url`, `stack.web_url`)."""
    with running(sqlite_stack(quick_model, tmp_path_factory.mktemp("stack"))) as stack:
        yield stack


@pytest.fixture(scope="session")
def web_bot(quick_model, tmp_path_factory):
    """The whole stack for the browser tests (action server, Rasa, web app) on free ports,
    with its own SQLite db and its own copy of the catalog (`stack.env["CATALOG_DIR"]`),
    which the web app seeds the db's published catalog from at start: tests publish a
    change there (bot/store/content_catalog.py) and the real data stays untouched.
    Its Rasa has the socket.io channel switched on too (SOCKETIO_ENABLED=1; off by default,
    bot/ops/credentials.py, as `running_bot` shows): one stack fewer to start."""
    log_dir = tmp_path_factory.mktemp("web-stack")
    catalog_dir = log_dir / "declarations"
    shutil.copytree(DEFAULT_CATALOG_DIR, catalog_dir)
    env = {"CATALOG_DIR": str(catalog_dir), "SOCKETIO_ENABLED": "1"}
    with running(sqlite_stack(quick_model, log_dir, env)) as stack:
        yield stack


@pytest.fixture(scope="session")
def socketio_bot(web_bot):
    """A stack whose Rasa has socket.io switched on: the browser tests' stack."""
    return web_bot


@pytest.fixture(scope="session")
def rest(running_bot) -> RestClient:
    """The running stack's REST webhook."""
    return RestClient(running_bot.rasa_url)


@pytest.fixture(scope="session")
def channel_texts() -> ChannelTexts:
    """The channel's sentences (personal data removed, technical problem) from domain.yml."""
    return ChannelTexts.from_domain()


@pytest.fixture(scope="session")
def tracker_db_url(running_bot) -> str:
    """The running stack's TRACKER_DB_URL (for bench.harness.event_rows and friends)."""
    return running_bot.env["TRACKER_DB_URL"]
