"""Start and stop the whole bot: the action server, the Rasa server, then the web app
(the citizen's chat widget and its JSON API, bot/web/).

Used by `make run` (in the foreground, Ctrl-C stops everything) and by the end-to-end
tests (on free ports, with their own tracker database).
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

from bot.declarations import PROJECT_ROOT
from bot.endpoints import VAR_DIR, write_endpoints

logger = logging.getLogger(__name__)

VENV_BIN = Path(sys.executable).parent
DEFAULT_HOST = "127.0.0.1"


class StackError(Exception):
    """A server did not come up; the message says which and shows its last output."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((DEFAULT_HOST, 0))
        return s.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, timeout: float, name: str,
                  log_path: Path) -> None:
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
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")
        env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        env["ACTION_PORT"] = str(self.action_port)
        env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> Path:
        log_path = (self.log_dir or VAR_DIR) / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_dir is None:
            stdout = None
        else:
            stdout = open(log_path, "wb")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            args, cwd=PROJECT_ROOT, env=env, stdout=stdout, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return log_path

    def start_action_server(self, timeout: float = 120) -> None:
        env = self._env()
        env["SANIC_HOST"] = self.host
        log = self._spawn(
            "action_server",
            [str(VENV_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions",
             "--port", str(self.action_port)],
            env,
        )
        wait_for_http(f"{self.action_url}/health", self.processes["action_server"], timeout,
                      "action server", log)

    def start_rasa(self, timeout: float = 300) -> None:
        env = self._env()
        endpoints = write_endpoints(
            (self.log_dir or VAR_DIR) / f"endpoints-{self.rasa_port}.yml", env
        )
        log = self._spawn(
            "rasa",
            [str(VENV_BIN / "rasa"), "run", "--model", str(self.model),
             "--endpoints", str(endpoints), "--credentials", str(PROJECT_ROOT / "credentials.yml"),
             "--interface", self.host, "--port", str(self.rasa_port)],
            env,
        )
        wait_for_http(f"{self.rasa_url}/", self.processes["rasa"], timeout, "Rasa server", log)

    def start_web(self, timeout: float = 60) -> None:
        """The chat widget and its API (python -m bot.web), talking to our Rasa."""
        env = self._env()
        env["RASA_URL"] = self.rasa_url
        env["WEB_HOST"] = self.host
        env["WEB_PORT"] = str(self.web_port)
        log = self._spawn("web", [str(VENV_BIN / "python"), "-m", "bot.web"], env)
        wait_for_http(f"{self.web_url}/api/health", self.processes["web"], timeout, "web app",
                      log)

    def start(self) -> Stack:
        try:
            self.start_action_server()
            self.start_rasa()
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
