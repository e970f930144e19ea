"""`bot run` finds its ports taken: it says which port and which process holds it, in one
line, before starting anything (bot/ops/ports.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from bot.ops.ports import is_free, port_holder, taken_ports
from bot.ops.stack import free_port
from bot.paths import PROJECT_ROOT


def test_the_holder_of_a_listening_port_is_named():
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        assert not is_free("127.0.0.1", port)
        holder = port_holder(port)
        assert holder is not None and holder.pid == os.getpid()
        [taken] = taken_ports("127.0.0.1", [port, port])
        assert taken.line().startswith(f"port {port} is taken by pid {os.getpid()} (")
    assert is_free("127.0.0.1", port)


def test_bot_run_names_the_taken_port_and_its_process_before_starting_anything(tmp_path):
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"not used: refused before any server starts")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, sys; s = socket.create_server(('127.0.0.1', "
            "int(sys.argv[1]))); print('up', flush=True); sys.stdin.read()",
            str(web := free_port()),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "up"
        env = {
            **os.environ,
            "TRACKER_DB_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
            "LOCK_STORE_URL": "",
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
            "WEB_PORT": str(web),
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot.ops.cli", "run", "--model", str(model)],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.stdin.close()
        holder.wait()
    assert done.returncode == 1, done.stderr
    [line] = [line for line in done.stderr.splitlines() if "Could not start" in line]
    assert line.startswith(f"Could not start the bot: port {web} is taken by pid {holder.pid} (")
    assert "import socket" in line  # the holder's command line
    assert "Traceback" not in done.stderr
    assert "action endpoint" not in (done.stdout + done.stderr).lower()  # nothing started
