"""Start and stop the whole bot: the action server, the Rasa server, then the web app
(the citizen's chat widget and its JSON API, bot/web/).

Used by `make run` (in the foreground, Ctrl-C stops everything) and by the end-to-end
tests (on free ports, with their own tracker database).

Scaled (`make run-scaled`, `rasa_replicas` / `action_servers` above 1, or `balanced`):
M action servers and N Rasa replicas on internal ports, and nginx (bot/ops/balancer.py) on
`action_port` and `rasa_port` in front of them, so the web app and every other client
talk to the same addresses as with one process. The replicas share the tracker store and
the lock store named by TRACKER_DB_URL / LOCK_STORE_URL (PostgreSQL + Redis).

Operations (docs/DEPLOYMENT.md):
- `start` refuses to begin when one of its ports is taken, naming the process holding it
  (bot/ops/ports.py), and returns only when every server answers a real request through
  the balancer (bot/ops/readiness.py).
- Every server dies with the launcher, however the launcher dies (bot/ops/processes.py).
- `stop` is graceful and ordered: the web app, the balancer's Rasa front (the turns in
  flight finish), the Rasa replicas, the balancer, the action servers.
- `restart_replica` / `restart_action_server`: one server drained in nginx, restarted,
  checked and put back, with no message lost and no error for anyone.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.ops.balancer import (
    BalancerError,
    Upstream,
    check_config_command,
    nginx_command,
    reload,
    write_nginx_config,
)
from bot.ops.credentials import socketio_enabled, write_credentials
from bot.ops.endpoints import write_endpoints
from bot.ops.ports import taken_ports
from bot.ops.processes import die_with_parent
from bot.ops.readiness import NotReady, ReadinessCheck
from bot.paths import PROJECT_ROOT, VAR_DIR
from bot.store.database import tracker_db_url

logger = logging.getLogger(__name__)

VENV_BIN = Path(sys.executable).parent
DEFAULT_HOST = "127.0.0.1"
BALANCER = "balancer"
WEB = "web"
# A stopping server gets this long beyond the reply deadline to finish its turns.
STOP_MARGIN_SECONDS = 7


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
    drained: set[int] = field(default_factory=set)  # servers marked `down` in nginx
    restart_requested: bool = False  # `wait` restarts every server, one at a time

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
        """Start one server in a session of its own (Ctrl-C reaches only the launcher,
        which stops the servers in order) that dies with the launcher (processes.py:
        SIGKILL, nginx's master SIGTERM so that it stops its workers)."""
        on_launcher_death = signal.SIGTERM if name == BALANCER else signal.SIGKILL
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
            preexec_fn=die_with_parent(on_launcher_death),  # noqa: PLW1509 - prctl, getppid
        )
        return log_path

    @property
    def ports(self) -> list[int]:
        """Every port the whole stack listens on."""
        ports = [self.rasa_port, self.action_port, self.web_port]
        if self.balanced:
            ports += self.rasa_replica_ports + self.action_server_ports
        return ports

    @property
    def tracker_db_url(self) -> str:
        return tracker_db_url(self._env())

    @property
    def stop_timeout(self) -> float:
        """How long a stopping server may take: the turns in flight end within the reply
        deadline (REPLY_DEADLINE_SECONDS), plus a margin for the process to exit."""
        # Imported here: bot.adapters loads Rasa and TensorFlow, which the launcher and the
        # other `bot` commands do not need (seconds at each start).
        from bot.adapters.channels import Settings

        return Settings.from_env(self._env()).reply_deadline + STOP_MARGIN_SECONDS

    def _action_server_ports(self) -> list[int]:
        return self.action_server_ports if self.balanced else [self.action_port]

    def _rasa_ports(self) -> list[int]:
        return self.rasa_replica_ports if self.balanced else [self.rasa_port]

    def start_action_server(self, timeout: float = 120, only: int | None = None) -> None:
        """Every action server (one, or all behind the balancer), started in parallel;
        `only`: just the one of that index."""
        env = self._env()
        env["SANIC_HOST"] = self.host
        started = []
        servers = list(zip(self.action_server_names, self._action_server_ports(), strict=True))
        for name, port in servers if only is None else [servers[only]]:
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

    def start_rasa(self, timeout: float = 300, only: int | None = None) -> None:
        """Every Rasa server. Replicas start together: Rasa's SQL tracker store tolerates
        several processes creating its table at once. `only`: just the one of that index."""
        env = self._env()
        endpoints = write_endpoints(
            (self.log_dir or VAR_DIR) / f"endpoints-{self.rasa_port}.yml", env
        )
        credentials = write_credentials(
            (self.log_dir or VAR_DIR) / f"credentials-{self.rasa_port}.yml", env
        )
        started = []
        replicas = list(zip(self.rasa_names, self._rasa_ports(), strict=True))
        for name, port in replicas if only is None else [replicas[only]]:
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

    def _balancer_config(self, rasa_front: bool = True) -> Path:
        """nginx.conf as the stack now is: drained servers marked `down`; without the
        Rasa front when `rasa_front` is False (stopping)."""
        drained = frozenset(self.drained)
        return write_nginx_config(
            Upstream("rasa", self.rasa_port, tuple(self.rasa_replica_ports), drained),
            Upstream("actions", self.action_port, tuple(self.action_server_ports), drained),
            (self.log_dir or VAR_DIR) / f"nginx-{self.rasa_port}",
            self.host,
            rasa_front=rasa_front,
            socketio=socketio_enabled(self._env()),
        )

    def start_balancer(self, timeout: float = 30) -> None:
        """nginx on rasa_port and action_port, in front of the replicas (bot/ops/balancer.py)."""
        config = self._balancer_config()
        checked = subprocess.run(check_config_command(config), capture_output=True, text=True)
        if checked.returncode != 0:
            raise StackError(f"nginx refused {config}:\n{checked.stderr.strip()}")
        self._spawn(BALANCER, nginx_command(config), self._env())
        # nginx writes its errors (a port taken, ...) to its own error.log, not to stdout.
        wait_for_http(
            f"{self.action_url}/health",
            self.processes[BALANCER],
            timeout,
            "nginx (action servers)",
            config.parent / "error.log",
        )

    def reload_balancer(self, rasa_front: bool = True) -> None:
        """nginx with the configuration as the stack now is; returns once every request
        the old configuration's workers were serving is answered."""
        process = self.processes.get(BALANCER)
        if process is None or process.poll() is not None:
            raise StackError("the balancer is not running")
        try:
            reload(process.pid, self._balancer_config(rasa_front), self.stop_timeout)
        except BalancerError as exc:
            raise StackError(str(exc)) from exc

    def check_ready(self, timeout: float = 60, web: bool = True) -> None:
        """Every server answers a real request through the balancer (bot/ops/readiness.py)."""
        check = ReadinessCheck(
            rasa_url=self.rasa_url,
            action_url=self.action_url,
            web_url=self.web_url if web and WEB in self.processes else None,
            rasa_ports=tuple(self.rasa_replica_ports) if self.balanced else (),
            action_ports=tuple(self.action_server_ports) if self.balanced else (),
            tracker_db_url=self.tracker_db_url,
            timeout=timeout,
        )
        try:
            check.run()
        except NotReady as exc:
            raise StackError(str(exc)) from exc

    def _restart(self, name: str, port: int, start: Callable[[], None]) -> None:
        if not self.balanced:  # nothing to fail over to: a short outage
            self.stop_process(name, self.stop_timeout)
            start()
            return
        self.drained.add(port)
        self.reload_balancer()  # from here on nginx sends it nothing; nothing in flight
        self.stop_process(name, self.stop_timeout)
        start()
        self.drained.discard(port)
        self.reload_balancer()

    def restart_action_server(self, index: int) -> None:
        """Restart one action server with no turn failing: drained in nginx, stopped,
        started, checked directly, put back (bot/ops/balancer.py)."""
        name, port = self.action_server_names[index], self._action_server_ports()[index]
        logger.info("Restarting %s (port %d)", name, port)
        self._restart(name, port, lambda: self.start_action_server(only=index))

    def restart_replica(self, index: int) -> None:
        """Restart one Rasa replica with no message lost and no error: drained in nginx
        (the turns in flight finish), stopped, started, checked directly, put back."""
        name, port = self.rasa_names[index], self._rasa_ports()[index]
        logger.info("Restarting %s (port %d)", name, port)
        self._restart(name, port, lambda: self.start_rasa(only=index))

    def rolling_restart(self) -> None:
        """Every action server, then every Rasa replica, one at a time (`kill -HUP`)."""
        for index in range(len(self.action_server_names)):
            self.restart_action_server(index)
        for index in range(len(self.rasa_names)):
            self.restart_replica(index)

    def start_web(self, timeout: float = 60) -> None:
        """The chat widget and its API (python -m bot.web), talking to our Rasa."""
        env = self._env()
        env["RASA_URL"] = self.rasa_url
        env["WEB_HOST"] = self.host
        env["WEB_PORT"] = str(self.web_port)
        log = self._spawn("web", [str(VENV_BIN / "python"), "-m", "bot.web"], env)
        wait_for_http(f"{self.web_url}/api/health", self.processes["web"], timeout, "web app", log)

    def start(self, web: bool = True) -> Stack:
        """Everything, in order; `web=False` leaves out the web app (the benchmarks).
        Refuses (StackError) before starting anything if one of the ports is taken;
        returns when every server answers a real request (`check_ready`)."""
        taken = taken_ports(self.host, self.ports if web else self.ports[:2] + self.ports[3:])
        if taken:
            raise StackError("; ".join(port.line() for port in taken))
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
            self.check_ready(web=web)
        except BaseException:
            self.stop()
            raise
        return self

    def stop_process(self, name: str, timeout: float = 15) -> None:
        self.stop_processes([name], timeout)

    def stop_processes(self, names: list[str], timeout: float) -> None:
        """Ask each to stop (nginx: SIGQUIT, finish what it serves; the others SIGTERM,
        Sanic's graceful shutdown), all at once; whatever still runs after `timeout`
        seconds is killed."""
        stopping = []
        for name in names:
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue
            graceful = signal.SIGQUIT if name == BALANCER else signal.SIGTERM
            try:
                os.killpg(process.pid, graceful)
            except ProcessLookupError:
                continue
            stopping.append(process)
        deadline = time.monotonic() + timeout
        for process in stopping:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("pid %d did not stop within %.0f s: killed", process.pid, timeout)
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()

    def stop(self) -> None:
        """Stop gracefully, in order, each step after the one before has finished: the web
        app (its requests are answered), the balancer's Rasa front (no new message comes
        in; the turns in flight finish, still reaching the action servers through it),
        the Rasa replicas, the balancer, the action servers."""
        timeout = self.stop_timeout
        self.stop_processes([WEB], timeout)
        if BALANCER in self.processes and self.processes[BALANCER].poll() is None:
            try:
                self.reload_balancer(rasa_front=False)
            except StackError as exc:
                logger.warning("Stopping the balancer's Rasa front: %s", exc)
        self.stop_processes(self.rasa_names, timeout)
        self.stop_processes([BALANCER], timeout)
        self.stop_processes(self.action_server_names, timeout)
        self.stop_processes(list(self.processes), timeout)  # anything else, e.g. a failed start

    def wait(self) -> int:
        """Block until one process exits or we are interrupted; then stop all (a second
        Ctrl-C or SIGTERM does not cut the graceful stop short). `restart_requested`
        (set by `bot run` on SIGHUP) triggers a rolling restart."""
        try:
            while True:
                if self.restart_requested:
                    self.restart_requested = False
                    self.rolling_restart()
                    logger.info("Rolling restart done: every server answers")
                for name, process in self.processes.items():
                    code = process.poll()
                    if code is not None:
                        logger.error("%s exited with code %s; stopping the bot", name, code)
                        return code or 1
                time.sleep(0.5)
        except KeyboardInterrupt:
            return 0
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)
            logger.info("Stopping: web app, balancer front, Rasa, balancer, action servers")
            self.stop()
