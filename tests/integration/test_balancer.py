"""The nginx configuration for several replicas (bot/ops/balancer.py), the Stack's ports when
scaled, and `bot run` refusing an unsafe scaled configuration before starting anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.balancer import (
    Upstream,
    check_config_command,
    nginx_binary,
    nginx_config,
    write_nginx_config,
)
from bot.ops.stack import Stack
from bot.paths import PROJECT_ROOT

RASA = Upstream("rasa", 5005, (5106, 5107))
ACTIONS = Upstream("actions", 5055, (5156, 5157, 5158))


def block(config: str, header: str) -> str:
    start = config.index(header)
    return config[start : config.index("}", start)]


def test_rest_is_balanced_by_open_requests_and_socketio_is_sticky(tmp_path):
    config = nginx_config(RASA, ACTIONS, tmp_path, socketio=True)
    rest = block(config, "upstream rasa {")
    assert "least_conn;" in rest
    assert "server 127.0.0.1:5106" in rest and "server 127.0.0.1:5107" in rest
    sticky = block(config, "upstream rasa_socketio {")
    assert "ip_hash;" in sticky and "server 127.0.0.1:5107" in sticky
    actions = block(config, "upstream actions {")
    assert [port for port in ACTIONS.server_ports if f"127.0.0.1:{port}" in actions] == [
        5156,
        5157,
        5158,
    ]
    assert "listen 127.0.0.1:5005;" in config and "listen 127.0.0.1:5055;" in config
    assert "location /socket.io/" in config and "Upgrade $http_upgrade" in config
    # Everything nginx writes stays in its state directory.
    assert f"pid {tmp_path / 'nginx.pid'};" in config


def test_socketio_off_by_default_leaves_no_route_for_it(tmp_path):
    config = nginx_config(RASA, ACTIONS, tmp_path)
    assert "socket.io" not in config and "rasa_socketio" not in config
    assert "$connection_upgrade" not in config
    assert "proxy_pass http://rasa;" in config  # /socket.io/ is an ordinary path: Rasa's 404


@pytest.mark.parametrize("socketio", [False, True], ids=["socket.io off", "socket.io on"])
def test_nginx_accepts_the_generated_config(tmp_path, socketio):
    try:
        nginx_binary()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(str(exc))
    config = write_nginx_config(RASA, ACTIONS, tmp_path, socketio=socketio)
    done = subprocess.run(check_config_command(config), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_scaled_stack_ports_and_names():
    stack = Stack(model=Path("m"), rasa_replicas=2, action_servers=3)
    assert stack.balanced
    assert stack.rasa_replica_ports == [5106, 5107]
    assert stack.action_server_ports == [5156, 5157, 5158]
    assert stack.rasa_names == ["rasa-1", "rasa-2"]
    assert stack.rasa_url == "http://127.0.0.1:5005"  # the balancer, as for one Rasa
    assert stack.replica_url(1) == "http://127.0.0.1:5107"
    single = Stack(model=Path("m"))
    assert not single.balanced and single.rasa_names == ["rasa"]
    assert single.action_server_names == ["action_server"]
    with pytest.raises(ValueError):
        Stack(model=Path("m"), rasa_replicas=0)
    with pytest.raises(ValueError):
        Stack(model=Path("m"), rasa_replicas=2, rasa_replica_ports=[1])


@pytest.mark.parametrize(
    "env, code, message",
    [
        ({"TRACKER_DB_URL": "sqlite:///var/never.db"}, 2, "shared tracker store"),
        ({"TRACKER_DB_URL": "postgresql://127.0.0.1:5432/test"}, 2, "LOCK_STORE_URL"),
        (
            {
                "TRACKER_DB_URL": "postgresql://127.0.0.1:5432/test",
                "LOCK_STORE_URL": "redis://127.0.0.1:1/0",
            },
            3,
            "Cannot reach the lock store",
        ),
    ],
)
def test_bot_run_refuses_unsafe_or_unreachable_scaling(env, code, message, tmp_path):
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"not used: refused before any server starts")
    full_env = {**os.environ, "LOCK_STORE_URL": "", **env}
    done = subprocess.run(
        [sys.executable, "-m", "bot.ops.cli", "run", "--model", str(model), "--rasa-replicas", "2"],
        cwd=PROJECT_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def server_lines(config: str) -> list[str]:
    return [line.strip() for line in config.splitlines() if line.strip().startswith("server 1")]


@pytest.mark.parametrize(("socketio", "upstreams"), [(False, 2), (True, 3)])
def test_passive_checks_never_shut_out_a_replica_and_a_post_is_never_sent_twice(
    tmp_path, socketio, upstreams
):
    config = nginx_config(RASA, ACTIONS, tmp_path, socketio=socketio)
    lines = server_lines(config)
    assert len(lines) == 2 + 3 + (2 if socketio else 0)
    assert all("max_fails=0" in line and "fail_timeout" not in line for line in lines)
    # Passed on only when a replica could not be reached; never a POST that reached one.
    directives = [line.strip() for line in config.splitlines() if "proxy_next_upstream" in line]
    assert directives == ["proxy_next_upstream error timeout;"] * 2
    # One state for all workers, and idle connections closed before Sanic (5 s) does.
    assert config.count("zone ") == upstreams
    assert config.count("keepalive_timeout 4s;") == 2


def test_a_drained_server_is_down_and_stopping_leaves_out_the_rasa_front(tmp_path):
    drained = Upstream("rasa", 5005, (5106, 5107), frozenset({5107}))
    config = nginx_config(drained, ACTIONS, tmp_path)
    assert "server 127.0.0.1:5107 max_fails=0 down;" in config
    assert "server 127.0.0.1:5106 max_fails=0;" in config
    assert "listen 127.0.0.1:5005;" in config
    stopping = nginx_config(RASA, ACTIONS, tmp_path, rasa_front=False)
    assert "listen 127.0.0.1:5005;" not in stopping and "listen 127.0.0.1:5055;" in stopping
    try:
        nginx_binary()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(str(exc))
    for rasa, front in [(drained, True), (RASA, False)]:
        path = write_nginx_config(rasa, ACTIONS, tmp_path, rasa_front=front)
        done = subprocess.run(check_config_command(path), capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
