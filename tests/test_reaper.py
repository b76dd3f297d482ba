"""What a session starts dies with it, also when the session's process is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests import reaper

ROOT = Path(__file__).resolve().parents[1]


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # a zombie is dead; only its parent has not collected it yet


def _wait_gone(pid: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def _session(tmp_path: Path, body: str) -> tuple[subprocess.Popen[str], int]:
    """A stand-in for a pytest session: runs ``body``, prints a pid, then waits forever."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from tests import reaper
        reaper.start(Path({str(tmp_path)!r}))
        {textwrap.indent(textwrap.dedent(body), "        ").strip()}
        print(pid, flush=True)
        time.sleep(300)
        """
    )
    session = reaper.spawn(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert session.stdout is not None
    line = session.stdout.readline()
    assert line.strip().isdigit(), f"the session printed {line!r}"
    return session, int(line)


def _kill(session: subprocess.Popen[str]) -> None:
    os.kill(session.pid, signal.SIGKILL)
    session.wait(timeout=10)
    assert session.stdout is not None
    session.stdout.close()


def test_a_spawned_group_dies_when_the_session_is_killed(tmp_path: Path) -> None:
    session, pid = _session(
        tmp_path,
        """
        child = reaper.spawn([sys.executable, "-c", "import time; time.sleep(300)"])
        pid = child.pid
        """,
    )
    assert not _gone(pid)
    _kill(session)
    assert _wait_gone(pid), "the child outlived its killed session"


def test_an_embedded_redis_dies_with_its_starter(tmp_path: Path) -> None:
    session, pid = _session(
        tmp_path,
        f"""
        from lifeline.cli.embedded_redis import EmbeddedRedis
        pid = EmbeddedRedis(Path({str(tmp_path / "redis")!r}), appendonly=False).start().pid
        """,
    )
    assert not _gone(pid)
    _kill(session)
    assert _wait_gone(pid), "Redis outlived the process that started it"


def test_a_reused_pid_is_left_alone(tmp_path: Path) -> None:
    registry = tmp_path / "processes"
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        registry.write_text(f"p {bystander.pid} 1\n")  # listed with another start time
        reaper._reap(registry)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()
