"""`bot ready`, the readiness probe for systemd and Kubernetes (bot/ops/readiness.py): exit 0
only when the server named answers a real request; 1 with the reason when it does not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bot.names import ACTION_ANSWER_SERVICE
from bot.ops.stack import free_port
from bot.paths import PROJECT_ROOT


def ready(*args: str, db: Path | None = None) -> subprocess.CompletedProcess:
    """`bot ready` with its own tracker database (where it deletes its conversations)."""
    env = {**os.environ, "TRACKER_DB_URL": f"sqlite:///{db or Path(tempfile.mkdtemp()) / 't.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "ready", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


class ActionServer(BaseHTTPRequestHandler):
    actions: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = json.dumps([{"name": name} for name in self.actions]).encode()
        self.send_response(200 if self.path == "/actions" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_an_action_server_is_ready_only_when_it_lists_our_actions():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ActionServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        ActionServer.actions = []  # up, but without our actions: a /health check would pass
        done = ready("--actions", url, "--timeout", "1")
        assert done.returncode == 1
        assert "an action server did not answer a real request within 1 s" in done.stderr
        ActionServer.actions = ["action_listen", ACTION_ANSWER_SERVICE]
        done = ready("--actions", url, "--timeout", "5")
        assert done.returncode == 0, done.stderr
    finally:
        server.shutdown()
        server.server_close()


def test_nothing_listening_is_not_ready_and_a_probe_must_name_a_server():
    done = ready("--rasa", f"http://127.0.0.1:{free_port()}", "--timeout", "1")
    assert done.returncode == 1 and "a Rasa replica did not answer" in done.stderr
    assert "Traceback" not in done.stderr
    assert ready().returncode == 2
