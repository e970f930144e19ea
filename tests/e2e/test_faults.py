"""Faults: the action server down or slow gives the citizen a friendly answer with
Kundtjänst's contact within a few seconds, and normal answers once it is back; an
unreachable tracker database stops `bot run` with a clear message and exit code 3."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.harness import event_rows
from bot.adapters.channels import DEFAULT_ACTION_TIMEOUT_SECONDS, Settings
from bot.paths import PROJECT_ROOT
from bot.store.database import TrackerDBUnreachable, check_tracker_db, describe_db_url

pytestmark = pytest.mark.slow

KUNDTJANST_PHONE = "0910-73 50 00"


def stored_user_messages(db_url: str, sender: str) -> int:
    return len(event_rows(db_url, [sender], type_name="user"))


def assert_normal_answer(rest, catalog, channel_texts) -> None:
    replies = rest.ask("hur lång tid tar bygglov?")
    texts = [r.get("text") or "" for r in replies]
    assert channel_texts.technical_problem not in texts
    assert catalog.declarations["bygglov"].source_url in "\n".join(texts)


def ask_timed(rest, text: str, sender: str) -> tuple[list[dict], float]:
    started = time.monotonic()
    replies = rest.ask(text, sender)
    return replies, time.monotonic() - started


def test_action_server_down_gives_kundtjanst_and_recovers(
    running_bot, rest, tracker_db_url, catalog, channel_texts
):
    assert KUNDTJANST_PHONE in channel_texts.technical_problem
    running_bot.stop_process("action_server")
    try:
        sender = f"down-{uuid.uuid4().hex[:8]}"
        replies, seconds = ask_timed(rest, "hur lång tid tar bygglov?", sender)
        assert [r["text"] for r in replies] == [channel_texts.technical_problem]
        assert seconds < 5
        # Rasa has no answer but keeps the conversation: the message is not lost.
        assert stored_user_messages(tracker_db_url, sender) == 1
        replies, _ = ask_timed(rest, "vad lovar ni om snöröjning?", sender)
        assert replies[-1]["text"] == channel_texts.technical_problem
    finally:
        running_bot.start_action_server()
    assert_normal_answer(rest, catalog, channel_texts)


class _SlowHandler(BaseHTTPRequestHandler):
    release = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.release.wait(60)
        self.send_response(500)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_slow_action_server_gives_kundtjanst_within_the_timeout(
    running_bot, rest, tracker_db_url, catalog, channel_texts
):
    # A conversation already going: its first message would also wait for the slow
    # server's action_session_start (the AI disclosure), and then only the reply
    # deadline (REPLY_DEADLINE_SECONDS) bounds the wait, not the action timeout.
    sender = f"slow-{uuid.uuid4().hex[:8]}"
    rest.ask("hej", sender)
    running_bot.stop_process("action_server")
    _SlowHandler.release.clear()
    slow = ThreadingHTTPServer((running_bot.host, running_bot.action_port), _SlowHandler)
    slow.daemon_threads = True
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    try:
        replies, seconds = ask_timed(rest, "hur lång tid tar bygglov?", sender)
        assert replies[-1]["text"] == channel_texts.technical_problem
        assert seconds < DEFAULT_ACTION_TIMEOUT_SECONDS + 3, seconds
        assert stored_user_messages(tracker_db_url, sender) == 2
    finally:
        _SlowHandler.release.set()
        slow.shutdown()
        slow.server_close()
        running_bot.start_action_server()
    assert_normal_answer(rest, catalog, channel_texts)


def test_bot_run_with_unreachable_tracker_db_exits_clearly(quick_model):
    from bot.ops.stack import free_port

    env = {
        **os.environ,
        "TRACKER_DB_URL": "postgresql://127.0.0.1:1/x",
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "run", "--model", str(quick_model)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3
    assert "Cannot reach the tracker store database postgresql://127.0.0.1:1/x" in done.stderr
    assert "TRACKER_DB_URL" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert time.monotonic() - started < 30  # no servers were started


def test_unreachable_db_message_hides_the_password():
    url = "postgresql://bot:hemligt@127.0.0.1:1/x"
    assert describe_db_url(url) == "postgresql://bot:***@127.0.0.1:1/x"
    with pytest.raises(TrackerDBUnreachable) as raised:
        check_tracker_db(url, timeout=2)
    assert "hemligt" not in str(raised.value)


def test_timeouts_come_from_the_environment():
    assert Settings.from_env({}) == Settings(DEFAULT_ACTION_TIMEOUT_SECONDS, 8.0)
    assert Settings.from_env(
        {"ACTION_TIMEOUT_SECONDS": "2", "REPLY_DEADLINE_SECONDS": "4"}
    ) == Settings(2.0, 4.0)
    with pytest.raises(ValueError, match="ACTION_TIMEOUT_SECONDS"):
        Settings.from_env({"ACTION_TIMEOUT_SECONDS": "0"})
