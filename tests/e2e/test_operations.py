"""Operating the scaled bot (bot/ops/stack.py, docs/DEPLOYMENT.md), with real nginx,
PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379); skipped, with the reason, when
one of them is absent.

- "running" means answering: a client hammers the balancer while `bot run` starts; from
  the "running" line on, none of its messages gets an error.
- SIGTERM (twice) with turns in flight: every one of them is answered and stored, then
  the bot stops in order and frees its ports.
- `bot run` killed with SIGKILL: every process of the stack dies and every port is free.
- One replica and one action server restarted under load: no message lost, no error
  (the stored conversations checked turn by turn, bench/turn_order.py).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.harness import RestClient
from bench.loadtest import QUESTIONS
from bench.turn_order import check_turns, reply_texts, stored_events
from bot.adapters.channels import ChannelTexts
from bot.core.redaction import redact
from bot.ops.balancer import BalancerError, nginx_binary
from bot.ops.ports import is_free
from bot.ops.processes import alive, descendants
from bot.ops.stack import Stack
from bot.paths import PROJECT_ROOT
from tests.helpers.services import postgres_schema_or_skip, redis_url_or_skip

pytestmark = pytest.mark.slow

RUNNING = "The bot is running"
HOST = "127.0.0.1"


def require_nginx() -> None:
    try:
        nginx_binary()
    except BalancerError as exc:
        pytest.skip(str(exc))


@dataclass
class Sent:
    sender: str
    text: str
    after_running: bool
    status: int
    texts: list[str]


@dataclass
class Load:
    """Conversations sent one message at a time by `clients` threads to `rasa_url`
    until `stop` is set (and then `extra` messages more each), at most `limit` once
    `running` is set."""

    rasa_url: str
    fault: str
    clients: int = 4
    extra: int = 0
    limit: int = 2000
    running: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    sent: list[Sent] = field(default_factory=list)

    def _client(self) -> None:
        rest = RestClient(self.rasa_url, timeout=60)
        left = None
        while sum(s.after_running for s in self.sent) < self.limit and left != 0:
            sender = uuid.uuid4().hex
            for text in QUESTIONS[:4]:
                after = self.running.is_set()
                status, body = rest.send(text, sender)
                self.sent.append(Sent(sender, text, after, status, reply_texts(body)))
                if status != 200 and not after:
                    time.sleep(0.1)  # not up yet: knock again soon
                if left is None and self.stop.is_set():
                    left = self.extra
                if left is not None and after:
                    left = max(0, left - 1)
                    if left == 0:
                        break

    @contextmanager
    def going(self) -> Iterator[Load]:
        threads = [threading.Thread(target=self._client) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self.stop.set()
            for thread in threads:
                thread.join()

    def errors(self, sent: list[Sent]) -> list[Sent]:
        return [s for s in sent if s.status != 200 or not s.texts or self.fault in s.texts]


class Gate(BaseHTTPRequestHandler):
    """Between Rasa and the action balancer: passes each action call on, or, while the
    gate is closed, holds it (the turn is then in flight) until it opens."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server = self.server
        if not server.open.is_set():  # type: ignore[attr-defined]
            with server.lock:  # type: ignore[attr-defined]
                server.held += 1  # type: ignore[attr-defined]
            server.open.wait(120)  # type: ignore[attr-defined]
        target = server.target  # type: ignore[attr-defined]
        request = urllib.request.Request(
            target, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = response.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def gate(target: str) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer((HOST, 0), Gate)
    server.daemon_threads = True
    server.target, server.open, server.lock, server.held = (  # type: ignore[attr-defined]
        target,
        threading.Event(),
        threading.Lock(),
        0,
    )
    server.open.set()  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.open.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


@dataclass
class Launcher:
    process: subprocess.Popen
    rasa_port: int
    action_port: int
    web_port: int
    output: list[str] = field(default_factory=list)
    running: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            if RUNNING in line:
                self.running.set()

    @property
    def rasa_url(self) -> str:
        return f"http://{HOST}:{self.rasa_port}"

    def ports(self, replicas: int, actions: int) -> list[int]:
        return [
            self.rasa_port,
            self.action_port,
            self.web_port,
            *(self.rasa_port + 100 + i for i in range(1, replicas + 1)),
            *(self.action_port + 100 + i for i in range(1, actions + 1)),
        ]

    def wait_running(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not self.running.wait(1):
            assert self.process.poll() is None, "".join(self.output[-40:])
            assert time.monotonic() < deadline, "".join(self.output[-40:])


def port_below_ephemeral_range() -> int:
    """A free port whose neighbours + 101 and + 102 (where `bot run` puts the replicas
    and action servers) are free too, below the range the kernel takes ports from for
    outgoing connections (which could take one of them while a replica loads its model)."""
    first = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        port = random.randrange(10000, first - 200)
        if all(is_free(HOST, p) for p in (port, port + 101, port + 102)):
            return port


def launch(
    model: Path, env: dict[str, str], replicas: int, actions: int, action_port: int | None = None
) -> Launcher:
    """`bot run` (the replicas and action servers on port + 100 + i)."""
    ports = {
        "RASA_PORT": port_below_ephemeral_range(),
        "ACTION_PORT": action_port or port_below_ephemeral_range(),
        "WEB_PORT": port_below_ephemeral_range(),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.ops.cli",
            "run",
            "--model",
            str(model),
            "--rasa-replicas",
            str(replicas),
            "--action-servers",
            str(actions),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env, **{k: str(v) for k, v in ports.items()}},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    launcher = Launcher(process, ports["RASA_PORT"], ports["ACTION_PORT"], ports["WEB_PORT"])
    threading.Thread(target=launcher.read, daemon=True).start()
    return launcher


@pytest.fixture(scope="module")
def databases():
    require_nginx()
    redis_url = redis_url_or_skip()
    with postgres_schema_or_skip("operations") as db_url:
        yield {"TRACKER_DB_URL": db_url, "LOCK_STORE_URL": redis_url}
        from bot.store.conversations import engine_for

        engine_for(db_url).dispose()


def refuses(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) != 0


def test_running_means_answering_and_sigterm_finishes_the_turns_in_flight(
    quick_model, databases, capsys
):
    fault = ChannelTexts.from_domain().technical_problem
    action_port = port_below_ephemeral_range()
    env = {
        **databases,
        # Turns may be held at the gate: no timeout must end them first.
        "ACTION_TIMEOUT_SECONDS": "60",
        "REPLY_DEADLINE_SECONDS": "60",
    }
    with gate(f"http://{HOST}:{action_port}/webhook") as held:
        env["ACTION_SERVER_URL"] = f"http://{HOST}:{held.server_address[1]}/webhook"
        launcher = launch(quick_model, env, replicas=2, actions=2, action_port=action_port)
        load = Load(f"http://{HOST}:{launcher.rasa_port}", fault, clients=4, extra=10)
        load.running = launcher.running
        try:
            with load.going():  # hammering from before nginx even listens
                launcher.wait_running()
                load.stop.set()
            after = [s for s in load.sent if s.after_running]
            before = [s for s in load.sent if not s.after_running]
            with capsys.disabled():
                print(
                    f"\n[start-up under load] before 'running': {len(before)} sent, "
                    f"{len(load.errors(before))} errors; after: {len(after)} sent, "
                    f"{len(load.errors(after))} errors"
                )
            assert len(after) >= 40
            assert load.errors(after) == []

            # Six turns in flight (held at the gate), then SIGTERM.
            held.open.clear()
            rest = RestClient(launcher.rasa_url, timeout=120)
            senders = [uuid.uuid4().hex for _ in range(6)]
            replies: dict[str, tuple[int, list[str]]] = {}

            def send(sender: str) -> None:
                status, body = rest.send("hur lång tid tar bygglov?", sender)
                replies[sender] = (status, reply_texts(body))

            threads = [threading.Thread(target=send, args=(s,)) for s in senders]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 120
            while held.held < len(senders):
                assert time.monotonic() < deadline, f"only {held.held} turns reached the gate"
                time.sleep(0.05)
            launcher.process.send_signal(signal.SIGTERM)
            while not refuses(launcher.web_port):  # the stop has begun
                assert launcher.process.poll() is None
                time.sleep(0.05)
            # An impatient second signal does not cut the graceful stop short.
            launcher.process.send_signal(signal.SIGTERM)
            held.open.set()
            for thread in threads:
                thread.join()
            code = launcher.process.wait(timeout=180)
        finally:
            if launcher.process.poll() is None:
                launcher.process.kill()
                launcher.process.wait()
    assert code == 0, "".join(launcher.output[-40:])
    for sender in senders:
        status, texts = replies[sender]
        assert status == 200 and texts and fault not in texts, (status, texts)
        stored = stored_events(databases["TRACKER_DB_URL"], sender)
        check = check_turns(stored, ["hur lång tid tar bygglov?"])
        assert check.whole and check.stored == 1, check.summary()
    for port in launcher.ports(2, 2):
        assert is_free(HOST, port), port


def test_a_hard_killed_launcher_leaves_no_process_and_frees_its_ports(
    quick_model, databases, capsys
):
    launcher = launch(quick_model, databases, replicas=2, actions=2)
    try:
        launcher.wait_running()
    except BaseException:
        launcher.process.kill()
        raise
    stack = descendants(launcher.process.pid)
    assert len(stack) >= 2 + 2 + 1 + 2  # replicas, action servers, web, nginx + workers
    ports = launcher.ports(2, 2)
    assert not any(is_free(HOST, port) for port in ports)

    launcher.process.kill()
    killed = time.monotonic()
    launcher.process.wait()
    deadline = killed + 30
    while any(alive(pid) for pid in stack) or not all(is_free(HOST, p) for p in ports):
        assert time.monotonic() < deadline, [pid for pid in stack if alive(pid)]
        time.sleep(0.05)
    seconds = time.monotonic() - killed
    with capsys.disabled():
        print(
            f"\n[kill -9 of bot run] {len(stack)} processes gone, ports free after {seconds:.1f} s"
        )
    assert seconds < 5


def test_restarting_a_replica_and_an_action_server_under_load_loses_nothing(
    quick_model, databases, tmp_path, capsys
):
    fault = ChannelTexts.from_domain().technical_problem
    # What is checked is the restart, not the speed of a 2-core machine on which the
    # restarted replica loads its model (TensorFlow, all cores) while the others serve:
    # there a slow action call (over 5 s) would give the fault reply. So generous
    # timeouts; a refused, cut or lost message still shows as an error or a loss.
    env = {**databases, "ACTION_TIMEOUT_SECONDS": "30", "REPLY_DEADLINE_SECONDS": "40"}
    stack = Stack.on_free_ports(quick_model, tmp_path, env, 2, 2)
    stack.start(web=False)
    try:
        load = Load(stack.rasa_url, fault, clients=3, extra=4)
        load.running.set()
        with load.going():
            while len(load.sent) < 8:  # the load is on
                time.sleep(0.05)
            stack.restart_action_server(0)
            stack.restart_replica(0)
    finally:
        stack.stop()
    errors = load.errors(load.sent)
    by_sender: dict[str, list[str]] = {}
    for s in load.sent:
        by_sender.setdefault(s.sender, []).append(redact(s.text).text)
    lost = 0
    for sender, texts in by_sender.items():
        check = check_turns(stored_events(databases["TRACKER_DB_URL"], sender), texts)
        lost += check.lost
        assert check.whole, check.summary()
    with capsys.disabled():
        print(
            f"\n[rolling restart under load] {len(load.sent)} messages in "
            f"{len(by_sender)} conversations: {lost} lost, {len(errors)} errors"
        )
    assert errors == []
    assert lost == 0
