"""Which process holds a TCP port: asked by `bot run` before it starts anything, so a port
that is taken (often by a server of an earlier run) is named in one clear line with the
process that holds it, instead of a server failing later with the cause in its own log.

Linux only for the holder (it reads /proc/net/tcp, /proc/net/tcp6 and /proc/*/fd, as
`ss -ltnp` does); elsewhere, or for another user's process, the line says the port is
taken without naming who holds it.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TCP_LISTEN = "0A"  # the `st` column of /proc/net/tcp for a listening socket
MAX_COMMAND_CHARS = 160


@dataclass(frozen=True)
class PortHolder:
    pid: int
    command: str


@dataclass(frozen=True)
class TakenPort:
    port: int
    holder: PortHolder | None

    def line(self) -> str:
        """One line for the operator: the port, and who holds it if that can be seen."""
        if self.holder is None:
            return f"port {self.port} is taken (the process holding it is not visible here)"
        return (
            f"port {self.port} is taken by pid {self.holder.pid} "
            f"({self.holder.command}); stop it or choose another port"
        )


def is_free(host: str, port: int) -> bool:
    """Can a server bind `host:port` now (with SO_REUSEADDR, as Sanic and nginx do)?"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != TCP_LISTEN:
                continue
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def _command(pid: int) -> str:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return "?"
    command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    if len(command) > MAX_COMMAND_CHARS:
        command = command[: MAX_COMMAND_CHARS - 1] + "…"
    return command or "?"


def port_holder(port: int) -> PortHolder | None:
    """The process with a socket listening on `port`, if this user can see it."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    try:
        pids = sorted(int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit())
    except OSError:
        return None
    for pid in pids:
        try:
            fds = os.listdir(PROC / str(pid) / "fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(PROC / str(pid) / "fd" / fd) in wanted:
                    return PortHolder(pid, _command(pid))
            except OSError:
                continue
    return None


def taken_ports(host: str, ports: Iterable[int]) -> list[TakenPort]:
    """The ports of `ports` that a server could not bind on `host`, with their holders."""
    unique = dict.fromkeys(ports)
    return [TakenPort(port, port_holder(port)) for port in unique if not is_free(host, port)]
