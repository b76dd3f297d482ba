"""What the benchmarks read off the machine: CPU time and peak memory of processes (Linux
``/proc``), Redis's own counters, and a description of the machine for the results file."""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import redis

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
"""Units of utime/stime in /proc/<pid>/stat."""

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used so far (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) may hold spaces; the fields after its ")" are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set (VmHWM), MiB; None if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def rss_mib(pid: int) -> float | None:
    """The process's resident set now (VmRSS), MiB; None if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def cpu_of(pids: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each named group of processes."""
    return {name: sum(cpu_seconds(pid) for pid in group) for name, group in pids.items()}


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each group used between two ``cpu_of`` readings."""
    return {name: round(after[name] - before.get(name, 0.0), 2) for name in after}


def used_memory(client: redis.Redis) -> int:
    """Bytes Redis has allocated for data and its own structures (INFO used_memory)."""
    return int(client.info("memory")["used_memory"])


def command_calls(client: redis.Redis) -> dict[str, int]:
    """Calls per command since start (INFO commandstats); includes commands run inside Lua."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


def calls_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Commands called between two ``command_calls`` readings, most frequent first."""
    delta = {name: n - before.get(name, 0) for name, n in after.items()}
    return dict(sorted(((k, v) for k, v in delta.items() if v > 0), key=lambda kv: -kv[1]))


def machine(client: redis.Redis) -> dict[str, Any]:
    """Cores, memory, CPU model, Python, Redis and library versions, date, commit."""
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(_meminfo_kib("MemTotal") / 1024 / 1024, 1),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "redis": str(client.info("server")["redis_version"]),
        "libraries": {name: _version(name) for name in _LIBRARIES},
        "lifeline_commit": _commit(),
        "lifeline_uncommitted": _uncommitted(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


_LIBRARIES = ("rq", "redis", "python-telegram-bot", "aiosmtplib", "httpx", "uvicorn", "fastapi")


def _meminfo_kib(field: str) -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _commit() -> str | None:
    """HEAD of the repository, with ``+dirty`` when the working tree has changes."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def _uncommitted() -> list[str]:
    """Files under src/ that differ from HEAD: the run measured them as they were."""
    try:
        return _git("diff", "--name-only", "HEAD", "--", "src").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return []


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
    )
    return done.stdout.strip()


def reset_peak_rss(pid: int) -> None:
    """Restart VmHWM from the current RSS, so a phase's peak is its own (Linux ≥ 4.0)."""
    # Where this is not permitted, the peak spans the process's whole life instead.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot, all cores (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass(frozen=True, slots=True)
class Mark:
    """A reading of the clock, the machine's busy CPU and our processes' CPU."""

    at: float
    busy: float
    own: float


class LoadMeter:
    """How busy the machine is with processes that are not the benchmark's.

    On a shared machine other work (a test suite, a build) takes CPU from one phase and not
    from the next, which would skew a ratio measured minutes apart. So each phase waits for
    a quiet machine (bounded), and rates are also computed over the stretches in which the
    others stayed quiet. Foreign CPU = the machine's busy time (/proc/stat) minus the CPU
    of our own processes; a process of ours that exited keeps its last reading.
    """

    def __init__(self, own: Callable[[], list[int]]) -> None:
        self.own = own
        self._last: dict[int, float] = {}

    def mark(self) -> Mark:
        """Read the clock, the machine and our processes now."""
        for pid in self.own():
            seconds = cpu_seconds(pid)
            if seconds > 0:
                self._last[pid] = seconds
        return Mark(time.time(), busy_seconds(), sum(self._last.values()))

    @staticmethod
    def foreign_cores(a: Mark, b: Mark) -> float:
        """Cores other processes kept busy on average between two marks."""
        seconds = max(b.at - a.at, 1e-9)
        return max(0.0, (b.busy - a.busy) - (b.own - a.own)) / seconds

    def wait_quiet(self, max_seconds: float) -> dict[str, float]:
        """Wait until others use less than ``QUIET_CORES`` over 3 s, at most
        ``max_seconds``; how long it waited and how busy the others were last."""
        started = time.monotonic()
        while True:
            before = self.mark()
            time.sleep(3.0)
            cores = self.foreign_cores(before, self.mark())
            waited = time.monotonic() - started
            if cores < QUIET_CORES or waited >= max_seconds:
                return {"waited_seconds": round(waited, 1), "foreign_cores": round(cores, 2)}


QUIET_CORES = 0.2
"""Below this much CPU used by other processes (in cores) the machine counts as quiet."""
