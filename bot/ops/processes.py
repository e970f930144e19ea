"""The launcher's children and their children: so that none outlives `bot run`.

Every server is started in a session of its own (so Ctrl-C in the terminal reaches only
the launcher, which then stops them in order), and with a parent-death signal on Linux:
`prctl(PR_SET_PDEATHSIG, …)` set in the child between fork and exec. If the launcher
dies in any way (SIGKILL, the OOM killer, a crash), the kernel signals every server at
once: the Python servers get SIGKILL (a launcher that died hard cannot stop them in
order, and a graceful Rasa exit took over 6 s on a busy 2-core machine), nginx's master
SIGTERM (it stops its workers, which would otherwise keep the ports).

The signal is tied to the *thread* that forked the child: spawn from the main thread
(`bot run` does; a thread that exits early would take its children with it). A child
whose parent died before the signal was set exits at once, so there is no gap.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

PROC = Path("/proc")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()  # looked up once, before any fork


def die_with_parent(signum: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen that makes the child receive `signum` when the
    process starting it dies; None where the platform has no parent-death signal."""
    if _PRCTL is None:
        return None
    prctl = _PRCTL
    parent = os.getpid()

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return in_child


def _parent_of(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (command) state ppid ...": the command may contain spaces and parentheses.
    return int(stat.rsplit(")", 1)[1].split()[1])


def children(pid: int) -> list[int]:
    """The living processes whose parent is `pid` (Linux; [] elsewhere)."""
    try:
        pids = [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]
    except OSError:
        return []
    return [child for child in pids if _parent_of(child) == pid]


def descendants(pid: int) -> list[int]:
    """`pid`'s children, their children, and so on."""
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Is `pid` a process that has not exited (a zombie counts as exited)?"""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
