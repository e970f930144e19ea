"""The balancer's nginx, really running, in front of small HTTP servers standing in for
Rasa replicas (bot/ops/balancer.py): a replica that was down is used the moment it
answers, and a POST that reached a replica is never sent to another one."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.ops.balancer import (
    BalancerError,
    Upstream,
    nginx_binary,
    nginx_command,
    write_nginx_config,
)
from bot.ops.stack import free_port

HOST = "127.0.0.1"


class Replica(BaseHTTPRequestHandler):
    """Answers every request with 200 and counts the POSTs it received."""

    posts: list[int]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.posts.append(1)  # type: ignore[attr-defined]
        self.do_GET()

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def replica(port: int) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer((HOST, port), Replica)
    server.posts = []  # type: ignore[attr-defined]
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def cutting_replica(port: int) -> Iterator[list[int]]:
    """Accepts a connection, reads the request, and closes without answering."""
    received: list[int] = []
    listener = socket.create_server((HOST, port))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                if connection.recv(65536):
                    received.append(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        stop.set()
        thread.join()
        listener.close()


@contextmanager
def balancer(tmp_path: Path, ports: tuple[int, ...]) -> Iterator[str]:
    try:
        nginx_binary()
    except BalancerError as exc:
        pytest.skip(str(exc))
    front = free_port()
    config = write_nginx_config(
        Upstream("rasa", front, ports), Upstream("actions", free_port(), (free_port(),)), tmp_path
    )
    process = subprocess.Popen(nginx_command(config), start_new_session=True)
    try:
        while process.poll() is None:  # until nginx listens
            with socket.socket() as probe:
                if probe.connect_ex((HOST, front)) == 0:
                    break
            time.sleep(0.05)
        assert process.poll() is None, (tmp_path / "error.log").read_text()
        yield f"http://{HOST}:{front}"
    finally:
        process.terminate()
        process.wait()


def status(url: str, body: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def test_replicas_down_at_start_are_used_the_moment_one_answers(tmp_path):
    first, second = free_port(), free_port()
    with balancer(tmp_path, (first, second)) as url:
        # A client knocks while no replica is up yet: 502, as it must be.
        assert [status(f"{url}/webhooks/rest/webhook", b"{}") for _ in range(4)] == [502] * 4
        with replica(second) as up:
            # nginx's defaults would shut both out for fail_timeout: "no live upstreams".
            answers = [status(f"{url}/webhooks/rest/webhook", b"{}") for _ in range(10)]
            assert answers == [200] * 10
            assert len(up.posts) == 10


def test_a_post_that_reached_a_replica_is_never_sent_to_another(tmp_path):
    first, second = free_port(), free_port()
    with cutting_replica(first) as cut, replica(second) as healthy:
        with balancer(tmp_path, (first, second)) as url:
            statuses = [status(f"{url}/webhooks/rest/webhook", b'{"n": 1}') for _ in range(6)]
    # least_conn takes turns: half reached the replica that cut them, and failed there.
    assert len(cut) + len(healthy.posts) == 6, (len(cut), len(healthy.posts))
    assert statuses.count(502) == len(cut) and len(cut) > 0
    assert statuses.count(200) == len(healthy.posts)
