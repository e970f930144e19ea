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
one; a message that reached a replica is never sent twice (nginx does not retry POSTs
once sent). Only URLs reach nginx's access log, never message bodies.

nginx is Debian's package (`make nginx` installs `nginx-light` when missing); this module
only writes its configuration (from the template `nginx.conf.j2` beside it) and runs it in
the foreground under our process group.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2

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


def nginx_config(
    rasa: Upstream,
    actions: Upstream,
    state_dir: Path,
    host: str = "127.0.0.1",
    worker_processes: int | str = "auto",
    socketio: bool = False,
) -> str:
    """The whole nginx.conf for the balancer (paths inside `state_dir`), from nginx.conf.j2."""
    return _TEMPLATES.get_template(NGINX_TEMPLATE).render(
        rasa=rasa,
        actions=actions,
        state_dir=state_dir,
        tmp=state_dir / "tmp",
        host=host,
        worker_processes=worker_processes,
        client_max_body=CLIENT_MAX_BODY,
        action_max_body=ACTION_MAX_BODY,
        proxy_read_timeout_seconds=PROXY_READ_TIMEOUT_SECONDS,
        socketio=socketio,
    )


def write_nginx_config(
    rasa: Upstream,
    actions: Upstream,
    state_dir: Path,
    host: str = "127.0.0.1",
    socketio: bool = False,
) -> Path:
    (state_dir / "tmp").mkdir(parents=True, exist_ok=True)
    path = state_dir / "nginx.conf"
    path.write_text(
        nginx_config(rasa, actions, state_dir, host, socketio=socketio), encoding="utf-8"
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
