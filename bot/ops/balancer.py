"""nginx as the load balancer in front of several Rasa replicas and action servers.

`make run-scaled` (and the scaling tests and bench) start N Rasa processes and M action
servers on internal ports and one nginx, which listens where a single Rasa and a single
action server would (127.0.0.1:5005 and :5055 by default), so no client changes:

- REST (`/webhooks/rest/webhook`, everything but socket.io) → the Rasa replica with the
  fewest open requests (`least_conn`). Any replica can serve any conversation: they share
  the PostgreSQL tracker store, and the Redis lock store makes them take a conversation's
  messages one at a time.
- socket.io (`/socket.io/`), only when it is on (`SOCKETIO_ENABLED=1`,
  bot/ops/credentials.py) → sticky by client address (`ip_hash`): a socket.io session
  lives in one process's memory, and its polling requests must keep reaching it. When it
  is off, `/socket.io/` is an ordinary path and Rasa answers 404.
- Rasa → action servers (`/webhook`) → `least_conn` over the action servers.

A request that cannot reach a replica at all (refused, dead process) is passed to the next
one (`proxy_next_upstream error timeout`); a message that reached a replica is never sent
twice: without `non_idempotent`, nginx passes a POST on only if it could not send it at
all (connect refused or timed out), never once it was written to a replica. Only URLs
reach nginx's access log, never message bodies.

Passive checks: `max_fails=0`, so nginx never marks a replica as failed. With nginx's
default (`max_fails=1 fail_timeout=10s`), a client knocking while the replicas were still
loading their model got both marked failed, and nginx answered 502 "no live upstreams"
for up to 10 s after they were up. Now every request tries the replicas in turn (a
refused connect on loopback costs microseconds) and a replica is used again the moment
it answers; `proxy_connect_timeout` bounds the cost of one that does not answer at all.
Upstream keep-alive connections are closed after UPSTREAM_KEEPALIVE_SECONDS, before
the servers (Sanic: 5 s) close them, so no POST is ever written to a closing connection.

Rolling restarts drain a server first: it is marked `down` in a new configuration and
nginx reloads (`reload`); the old workers finish the requests they were serving and
exit, and only then is the server stopped (bot/ops/stack.py). Stopping the whole bot
reloads once more without the Rasa front, so no new message comes in while the turns
in flight finish.

nginx is Debian's package (`make nginx` installs `nginx-light` when missing); this module
only writes its configuration (from the template `nginx.conf.j2` beside it) and runs it in
the foreground under our process group.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2

from bot.ops.processes import children

NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
NGINX_TEMPLATE = "nginx.conf.j2"  # next to this module, shipped as package data

# Plain text, not HTML: nothing is escaped; a missing value is an error, not "".
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)

# Bigger than the Rasa channel's own limit (32 kB), so an oversized message still gets
# the channel's JSON error (bot/adapters/channels.py) rather than nginx's HTML page.
CLIENT_MAX_BODY = "1m"
# Rasa posts the whole tracker of the session to the action server: allow long ones.
ACTION_MAX_BODY = "16m"
# The channel answers within REPLY_DEADLINE_SECONDS (8 s); this only guards dead sockets.
PROXY_READ_TIMEOUT_SECONDS = 60
# Loopback or an internal network connects in milliseconds; this bounds a dead host.
PROXY_CONNECT_TIMEOUT_SECONDS = 2
# Below Sanic's KEEP_ALIVE_TIMEOUT (5 s): nginx closes an idle connection first.
UPSTREAM_KEEPALIVE_SECONDS = 4


class BalancerError(Exception):
    """nginx is missing or its configuration is refused."""


def nginx_binary() -> str:
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise BalancerError(
        "nginx is not installed: `make nginx` installs Debian's nginx-light "
        "(apt-get install -y nginx-light)"
    )


@dataclass(frozen=True)
class Upstream:
    """One balanced service: where nginx listens and the servers behind it."""

    name: str
    listen_port: int
    server_ports: tuple[int, ...]
    drained: frozenset[int] = frozenset()  # servers marked `down`: no new requests


def nginx_config(
    rasa: Upstream,
    actions: Upstream,
    state_dir: Path,
    host: str = "127.0.0.1",
    worker_processes: int | str = "auto",
    rasa_front: bool = True,
    socketio: bool = False,
) -> str:
    """The whole nginx.conf for the balancer (paths inside `state_dir`), from nginx.conf.j2.
    `rasa_front=False` leaves out the Rasa side (listen_port of `rasa`): used when stopping."""
    return _TEMPLATES.get_template(NGINX_TEMPLATE).render(
        rasa=rasa,
        actions=actions,
        state_dir=state_dir,
        tmp=state_dir / "tmp",
        host=host,
        worker_processes=worker_processes,
        rasa_front=rasa_front,
        client_max_body=CLIENT_MAX_BODY,
        action_max_body=ACTION_MAX_BODY,
        proxy_read_timeout_seconds=PROXY_READ_TIMEOUT_SECONDS,
        proxy_connect_timeout_seconds=PROXY_CONNECT_TIMEOUT_SECONDS,
        upstream_keepalive_seconds=UPSTREAM_KEEPALIVE_SECONDS,
        socketio=socketio,
    )


def write_nginx_config(
    rasa: Upstream,
    actions: Upstream,
    state_dir: Path,
    host: str = "127.0.0.1",
    rasa_front: bool = True,
    socketio: bool = False,
) -> Path:
    (state_dir / "tmp").mkdir(parents=True, exist_ok=True)
    path = state_dir / "nginx.conf"
    path.write_text(
        nginx_config(rasa, actions, state_dir, host, rasa_front=rasa_front, socketio=socketio),
        encoding="utf-8",
    )
    return path


def nginx_command(config: Path) -> list[str]:
    """nginx in the foreground (`daemon off` is in the file) with our config and prefix."""
    state_dir = config.parent
    return [
        nginx_binary(),
        "-p",
        str(state_dir),
        "-c",
        str(config),
        "-e",
        str(state_dir / "error.log"),
    ]


def check_config_command(config: Path) -> list[str]:
    return [*nginx_command(config), "-t", "-q"]


def reload(master_pid: int, config: Path, timeout: float) -> None:
    """Make the running nginx (`master_pid`) use `config` as it now is, and return once
    its old workers have exited, i.e. once every request they were serving is answered.
    Raises BalancerError if nginx refuses the file (it would keep the old one) or the old
    workers are still busy after `timeout` seconds."""
    checked = subprocess.run(check_config_command(config), capture_output=True, text=True)
    if checked.returncode != 0:
        raise BalancerError(f"nginx refused {config}:\n{checked.stderr.strip()}")
    old = set(children(master_pid))
    os.kill(master_pid, signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while old & set(children(master_pid)):
        if time.monotonic() > deadline:
            raise BalancerError(f"nginx's old workers still busy after {timeout:.0f} s")
        time.sleep(0.05)
