"""Start and stop the whole bot: the action server, the Rasa server, then the web app
(the citizen's chat widget and its JSON API, bot/web/).

Used by `make run` (in the foreground, Ctrl-C stops everything) and by the end-to-end
tests (on free ports, with their own tracker database).

Scaled (`make run-scaled`, `rasa_replicas` / `action_servers` above 1, or `balanced`):
M action servers and N Rasa replicas on internal ports, and nginx (bot/ops/balancer.py) on
`action_port` and `rasa_port` in front of them, so the web app and every other client
talk to the same addresses as with one process. The replicas share the tracker store and
the lock store named by TRACKER_DB_URL / LOCK_STORE_URL (PostgreSQL + Redis).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.ops.balancer import Upstream, check_config_command, nginx_command, write_nginx_config
from bot.ops.credentials import socketio_enabled, write_credentials
from bot.ops.endpoints import write_endpoints
from bot.paths import PROJECT_ROOT, VAR_DIR

logger = logging.getLogger(__name__)

VENV_BIN = Path(sys.executable).parent
DEFAULT_HOST = "127.0.0.1"


class StackError(Exception):
    """A server did not come up; the message says which and shows its last output."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((DEFAULT_HOST, 0))
        return s.getsockname()[1]


def wait_for_http(
    url: str, process: subprocess.Popen, timeout: float, name: str, log_path: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{name} exited with code {process.returncode}:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.3)
    raise StackError(f"{name} did not answer at {url} within {timeout:.0f} s:\n{tail(log_path)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


@dataclass
class Stack:
    model: Path
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8000
    host: str = DEFAULT_HOST
    env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None  # None: inherit the terminal (make run)
    rasa_replicas: int = 1
    action_servers: int = 1
    balanced: bool = False  # nginx in front even of one replica (the bench's baseline)
    # Internal ports of the replicas and action servers behind nginx; default
    # rasa_port + 100 + i and action_port + 100 + i (i = 1, 2, ...).
    rasa_replica_ports: list[int] = field(default_factory=list)
    action_server_ports: list[int] = field(default_factory=list)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rasa_replicas < 1 or self.action_servers < 1:
            raise ValueError("rasa_replicas and action_servers must be at least 1")
        self.balanced = self.balanced or self.rasa_replicas > 1 or self.action_servers > 1
        if self.balanced:
            self.rasa_replica_ports = self.rasa_replica_ports or [
                self.rasa_port + 100 + i for i in range(1, self.rasa_replicas + 1)
            ]
            self.action_server_ports = self.action_server_ports or [
                self.action_port + 100 + i for i in range(1, self.action_servers + 1)
            ]
            if (
                len(self.rasa_replica_ports) != self.rasa_replicas
                or len(self.action_server_ports) != self.action_servers
            ):
                raise ValueError("one internal port per replica and per action server")

    @property
    def rasa_url(self) -> str:
        """Where clients reach Rasa: the balancer when scaled, else the one server."""
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    def replica_url(self, index: int) -> str:
        """One Rasa replica directly, bypassing the balancer (index from 0)."""
        return f"http://{self.host}:{self.rasa_replica_ports[index]}"

    @property
    def rasa_names(self) -> list[str]:
        if not self.balanced:
            return ["rasa"]
        return [f"rasa-{i}" for i in range(1, self.rasa_replicas + 1)]

    @property
    def action_server_names(self) -> list[str]:
        if not self.balanced:
            return ["action_server"]
        return [f"action_server-{i}" for i in range(1, self.action_servers + 1)]

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        env["ACTION_PORT"] = str(self.action_port)
        env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return env

    @classmethod
    def on_free_ports(
        cls,
        model: Path,
        log_dir: Path,
        env: dict[str, str],
        rasa_replicas: int = 1,
        action_servers: int = 1,
        balanced: bool = False,
    ) -> Stack:
        """A stack (scaled or not) on free ports, for tests and benchmarks."""
        balanced = balanced or rasa_replicas > 1 or action_servers > 1
        return cls(
            model=model,
            rasa_port=free_port(),
            action_port=free_port(),
            web_port=free_port(),
            log_dir=log_dir,
            env=env,
            rasa_replicas=rasa_replicas,
            action_servers=action_servers,
            balanced=balanced,
            rasa_replica_ports=[free_port() for _ in range(rasa_replicas)] if balanced else [],
            action_server_ports=([free_port() for _ in range(action_servers)] if balanced else []),
        )

    def _log_path(self, name: str) -> Path:
        return (self.log_dir or VAR_DIR) / f"{name}.log"

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> Path:
        log_path = self._log_path(name)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_dir is None:
            stdout = None
        else:
            stdout = open(log_path, "wb")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            args,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return log_path

    def _action_server_ports(self) -> list[int]:
        return self.action_server_ports if self.balanced else [self.action_port]

    def _rasa_ports(self) -> list[int]:
        return self.rasa_replica_ports if self.balanced else [self.rasa_port]

    def start_action_server(self, timeout: float = 120) -> None:
        """Every action server (one, or all behind the balancer), started in parallel."""
        env = self._env()
        env["SANIC_HOST"] = self.host
        started = []
        for name, port in zip(self.action_server_names, self._action_server_ports(), strict=True):
            log = self._spawn(
                name,
                [
                    str(VENV_BIN / "python"),
                    "-m",
                    "rasa_sdk",
                    "--actions",
                    "actions",
                    "--port",
                    str(port),
                ],
                env,
            )
            started.append((name, port, log))
        for name, port, log in started:
            wait_for_http(
                f"http://{self.host}:{port}/health",
                self.processes[name],
                timeout,
                name.replace("_", " "),
                log,
            )

    def start_rasa(self, timeout: float = 300) -> None:
        """Every Rasa server. Replicas start together: Rasa's SQL tracker store tolerates
        several processes creating its table at once."""
        env = self._env()
        endpoints = write_endpoints(
            (self.log_dir or VAR_DIR) / f"endpoints-{self.rasa_port}.yml", env
        )
        credentials = write_credentials(
            (self.log_dir or VAR_DIR) / f"credentials-{self.rasa_port}.yml", env
        )
        started = []
        for name, port in zip(self.rasa_names, self._rasa_ports(), strict=True):
            log = self._spawn(
                name,
                [
                    str(VENV_BIN / "rasa"),
                    "run",
                    "--model",
                    str(self.model),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(credentials),
                    "--interface",
                    self.host,
                    "--port",
                    str(port),
                ],
                env,
            )
            started.append((name, port, log))
        for name, port, log in started:
            wait_for_http(
                f"http://{self.host}:{port}/",
                self.processes[name],
                timeout,
                f"Rasa server {name}",
                log,
            )

    def start_balancer(self, timeout: float = 30) -> None:
        """nginx on rasa_port and action_port, in front of the replicas (bot/ops/balancer.py)."""
        state_dir = (self.log_dir or VAR_DIR) / f"nginx-{self.rasa_port}"
        config = write_nginx_config(
            Upstream("rasa", self.rasa_port, tuple(self.rasa_replica_ports)),
            Upstream("actions", self.action_port, tuple(self.action_server_ports)),
            state_dir,
            self.host,
            socketio=socketio_enabled(self._env()),
        )
        checked = subprocess.run(check_config_command(config), capture_output=True, text=True)
        if checked.returncode != 0:
            raise StackError(f"nginx refused {config}:\n{checked.stderr.strip()}")
        log = self._spawn("balancer", nginx_command(config), self._env())
        wait_for_http(
            f"{self.action_url}/health",
            self.processes["balancer"],
            timeout,
            "nginx (action servers)",
            log,
        )

    def start_web(self, timeout: float = 60) -> None:
        """The chat widget and its API (python -m bot.web), talking to our Rasa."""
        env = self._env()
        env["RASA_URL"] = self.rasa_url
        env["WEB_HOST"] = self.host
        env["WEB_PORT"] = str(self.web_port)
        log = self._spawn("web", [str(VENV_BIN / "python"), "-m", "bot.web"], env)
        wait_for_http(f"{self.web_url}/api/health", self.processes["web"], timeout, "web app", log)

    def start(self, web: bool = True) -> Stack:
        """Everything, in order; `web=False` leaves out the web app (the benchmarks)."""
        try:
            self.start_action_server()
            if self.balanced:  # before Rasa: the replicas reach the action servers through it
                self.start_balancer()
            self.start_rasa()
            if self.balanced:
                wait_for_http(
                    f"{self.rasa_url}/",
                    self.processes["balancer"],
                    30,
                    "nginx (Rasa)",
                    self._log_path("balancer"),
                )
            if web:
                self.start_web()
        except BaseException:
            self.stop()
            raise
        return self

    def stop_process(self, name: str, timeout: float = 15) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop_process(name)

    def wait(self) -> int:
        """Block until one process exits or we are interrupted; then stop all."""
        try:
            while True:
                for name, process in self.processes.items():
                    code = process.poll()
                    if code is not None:
                        logger.error("%s exited with code %s; stopping the bot", name, code)
                        return code or 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            return 0
        finally:
            self.stop()
