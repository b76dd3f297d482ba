"""Every process a test session starts dies with the session — also when pytest is killed.

A watchdog process (``python -m tests.reaper LIST``) starts with the session, in a session
of its own so that a Ctrl-C meant for pytest does not reach it, and blocks reading a pipe
from pytest. The pipe reaches end-of-file however pytest ends (normally, by an exception,
by SIGKILL); the watchdog then kills every process group and process listed in ``LIST``.

Tests start processes with ``spawn`` / ``run`` (each the leader of a new process group,
so a worker's RQ scheduler child goes with it) and hand over servers that product code
started (an ``EmbeddedRedis``) with ``adopt``. Each entry carries the process's start time
from ``/proc``, so a pid that was reused after its process ended is never killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

_watchdog: subprocess.Popen[bytes] | None = None
_registry: Path | None = None


def start(directory: Path) -> None:
    """Start the session's watchdog; its list of processes lives in ``directory``."""
    global _watchdog, _registry
    _registry = directory / "processes"
    _registry.write_text("")
    _watchdog = subprocess.Popen(
        [sys.executable, "-m", "tests.reaper", str(_registry)],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )


def stop() -> None:
    """End of the session: the watchdog kills whatever is still listed, then exits."""
    global _watchdog
    if _watchdog is None:
        return
    assert _watchdog.stdin is not None
    _watchdog.stdin.close()
    _watchdog.wait(timeout=30)
    _watchdog = None


def adopt(pid: int, *, group: bool = False) -> None:
    """List a process (or, with ``group``, the process group it leads) for the watchdog."""
    if _registry is None:
        raise RuntimeError("tests.reaper.start() has not run: is tests/conftest.py loaded?")
    line = f"{'g' if group else 'p'} {pid} {_start_time(pid)}\n"
    with _registry.open("a") as fh:
        fh.write(line)


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen`` in a new process group that dies with the session."""
    process: subprocess.Popen[Any] = subprocess.Popen(args, start_new_session=True, **kwargs)
    adopt(process.pid, group=True)
    return process


def run(args: list[str], *, timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run`` through ``spawn``: on a timeout the whole group is killed."""
    process = spawn(args, **kwargs)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        process.communicate()
        raise
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def kill_group(pid: int) -> None:
    """SIGKILL a process group, if anything of it is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _start_time(pid: int) -> str:
    """Field 22 of ``/proc/<pid>/stat``: when the process started, in clock ticks."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "-"
    return stat.rsplit(")", 1)[1].split()[19]


def _reap(registry: Path) -> None:
    for line in registry.read_text().splitlines():
        kind, pid_text, started = line.split()
        pid = int(pid_text)
        now = _start_time(pid)
        if now not in ("-", started):
            continue  # the pid belongs to another process now
        if kind == "g":
            # Linux keeps a pid from reuse while a group of that id lives, so members of a
            # group whose leader has died are still reached by killpg.
            kill_group(pid)
        elif now == started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def main() -> None:
    """The watchdog: wait for pytest's end (EOF on stdin), then kill what is listed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the Ctrl-C was for pytest
    registry = Path(sys.argv[1])
    while sys.stdin.buffer.read(4096):
        pass
    _reap(registry)


if __name__ == "__main__":
    main()
