"""The processes of one benchmark run: a private Redis, provider sinks, the API, workers.

Everything is started in its own session, so Ctrl-C in the terminal reaches only the
benchmark, which then stops them all (SIGTERM, SIGKILL after a grace period) however it
ends. Logs go to files in the run's folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any, NotRequired, Self, TypedDict, cast

import httpx
import redis
from rq import Worker

from lifeline.cli.embedded_redis import EmbeddedRedis, free_port
from lifeline.core import defaults
from lifeline.db import connect, connect_rq
from population import TENANT, TOPICS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

BOT_TOKEN = "123456:benchmark-token"
"""Token of the benchmark's bot; the Bot API sink accepts only this one."""

SMS_TOKEN = "gateway-token"

RATE_PER_SECOND = {"telegram": 1_000, "email": 10_000, "sms": 10_000}
"""The highest rates Lifeline's config accepts: the shared limiter stays in the path (one
Redis round trip per send). Email and SMS never wait at the rates reached here; Telegram's
bound is 1,000/s even with ``allow_paid_broadcast`` (issue 14.4), ≈ 960/s after the
limiter's headroom; the raw Telegram sender is paced at the same 1,000/s (``phases``)."""

START_SECONDS = 30.0
"""How long a process may take to come up before the run gives up."""


class SinkStats(TypedDict):
    """A sink's ``GET /stats`` answer (``sinks.py``)."""

    delivered: int
    first_at: float | None
    last_at: float | None
    connections: NotRequired[int]


@dataclass(frozen=True)
class SinkHandle:
    """A running sink: where Lifeline sends, where the benchmark reads the counts."""

    kind: str
    url: str
    control: str
    pid: int

    def stats(self) -> SinkStats:
        """Accepted messages and the first/last arrival (epoch seconds)."""
        return cast(SinkStats, dict(httpx.get(f"{self.control}/stats", timeout=10).json()))

    def reset(self) -> None:
        """Forget what arrived so far."""
        httpx.post(f"{self.control}/reset", timeout=10).raise_for_status()


class Stack:
    """Starts the run's processes and stops every one of them on exit."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.logs = run_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.redis_server: EmbeddedRedis | None = None
        self.children: list[subprocess.Popen[bytes]] = []
        self.services: list[subprocess.Popen[bytes]] = []
        self.transient: list[subprocess.Popen[bytes]] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        self.redis_pid = 0

    # --- Redis ------------------------------------------------------------------------------

    def start_redis(self) -> str:
        """A private Redis on a free port, without persistence: used_memory is ours alone."""
        self.redis_server = EmbeddedRedis(self.run_dir / "redis", appendonly=False).start()
        self.redis_pid = int(store_client(self.redis_server.url).info("server")["process_id"])
        return self.redis_server.url

    def own_pids(self) -> list[int]:
        """This process, Redis, and the sinks, API, workers and raw senders running now."""
        started = (*self.services, *self.workers, *self.transient)
        return [os.getpid(), self.redis_pid, *(p.pid for p in started if p.poll() is None)]

    # --- sinks, API, workers ----------------------------------------------------------------

    def start_sink(self, kind: str) -> SinkHandle:
        """One provider sink process (``sinks.py``), counting what it accepts."""
        token = BOT_TOKEN if kind == "telegram" else SMS_TOKEN
        argv = [sys.executable, str(HERE / "sinks.py"), kind, "--token", token]
        proc = self.spawn(argv, f"sink-{kind}", stdout=subprocess.PIPE)
        self.services.append(proc)
        line = _read_line(proc, START_SECONDS, f"the {kind} sink")
        info = json.loads(line)
        return SinkHandle(kind, info["url"], info["control"], proc.pid)

    def start_api(self, config: Path) -> tuple[str, int]:
        """``lifeline api`` on a free port, once /healthz answers; (base URL, pid)."""
        port = free_port()
        proc = self.spawn(
            [sys.executable, "-m", "lifeline", "api", "--host", "127.0.0.1", "--port", str(port)],
            "api",
            config=config,
        )
        self.services.append(proc)
        url = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _answers(f"{url}/healthz"), START_SECONDS, "the API", proc)
        return url, proc.pid

    def start_workers(self, config: Path, count: int, redis_url: str) -> list[int]:
        """``count`` × ``lifeline worker``, once all have registered with RQ; their pids."""
        for number in range(count):
            name = f"bench-{os.getpid()}-{number}"
            argv = [sys.executable, "-m", "lifeline", "worker", "--name", name]
            self.workers.append(self.spawn(argv, f"worker-{number}", config=config))
        rq_client = connect_rq(redis_url)
        _wait_for(
            lambda: len(Worker.all(connection=rq_client)) >= count,
            START_SECONDS,
            "the workers to register",
            self.workers[0],
        )
        return [p.pid for p in self.workers]

    def stop_workers(self) -> None:
        """Warm shutdown (SIGTERM), as an operator stops them."""
        _stop(self.workers)
        self.workers = []

    # --- lifecycle --------------------------------------------------------------------------

    def spawn(
        self,
        argv: list[str],
        name: str,
        *,
        config: Path | None = None,
        stdout: int | IO[bytes] | None = None,
        transient: bool = False,
    ) -> subprocess.Popen[bytes]:
        """Start a child in its own session with the benchmark's environment; logs to a file."""
        # No PYTHONPATH: a longer sys.path makes every failed import dearer (httpcore tries
        # one per request), so the processes get the path they would have in production.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LIFELINE_") and k != "PYTHONPATH"
        }
        if config is not None:
            env["LIFELINE_CONFIG"] = str(config)
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=stdout if stdout is not None else log,
            stderr=log,
            start_new_session=True,  # Ctrl-C goes to the benchmark, which stops us in order
        )
        log.close()
        self.children.append(proc)
        if transient:
            self.transient.append(proc)
        return proc

    def close(self) -> None:
        """Stop every process this stack started, workers first, Redis last."""
        _stop(self.workers)
        _stop(self.children)
        if self.redis_server is not None:
            self.redis_server.stop()

    def __enter__(self) -> Self:
        signal.signal(signal.SIGTERM, _interrupt)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the run like Ctrl-C: through the ``finally`` that stops the children."""
    raise KeyboardInterrupt


def _stop(processes: list[subprocess.Popen[bytes]], grace: float = 30.0) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in processes:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _read_line(proc: subprocess.Popen[bytes], timeout: float, what: str) -> str:
    """The first line a child prints, or an error after ``timeout``."""
    if proc.stdout is None:
        raise RuntimeError(f"{what}: no pipe to read from")
    stream = proc.stdout
    os.set_blocking(stream.fileno(), False)
    deadline = time.monotonic() + timeout
    buffer = b""
    while time.monotonic() < deadline:
        chunk = stream.read()
        if chunk:
            buffer += chunk
            if b"\n" in buffer:
                return buffer.split(b"\n", 1)[0].decode()
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_for(
    predicate: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode} (see logs/)")
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def write_config(
    path: Path,
    redis_url: str,
    sinks: dict[str, SinkHandle],
    *,
    batch_size: int = defaults.BATCH_SIZE,
    concurrency: int = defaults.BATCH_CONCURRENCY,
) -> Path:
    """A config with one tenant whose channels point at the sinks, rate limits out of reach."""
    topics = ", ".join(f'"{t}"' for t in (*TOPICS, "drill"))
    parts = [
        f'[redis]\nurl = "{redis_url}"\n',
        f"[worker]\nbatch_size = {batch_size}\nconcurrency = {concurrency}\n",
        f'[[tenants]]\nid = "{TENANT}"\nname = "Bench BKK"\ndefault_language = "de"\n'
        f'hotline = "+49 30 1234567"\nwebsite = "https://status.example.org"\n'
        f"topics = [{topics}]\n",
    ]
    if "telegram" in sinks:
        parts.append(
            f'[tenants.channels.telegram]\nprovider = "telegram"\ntoken = "{BOT_TOKEN}"\n'
            f'api_base = "{sinks["telegram"].url}"\nallow_paid_broadcast = true\n'
            f"rate_per_second = {RATE_PER_SECOND['telegram']}\n"
        )
    if "email" in sinks:
        parts.append(
            f'[tenants.channels.email]\nprovider = "smtp"\nsmtp_url = "{sinks["email"].url}"\n'
            f'from = "Bench BKK <service@example.org>"\n'
            f"rate_per_second = {RATE_PER_SECOND['email']}\n"
        )
    if "sms" in sinks:
        parts.append(
            f'[tenants.channels.sms]\nprovider = "http"\nurl = "{sinks["sms"].url}"\n'
            f'token = "{SMS_TOKEN}"\nsender = "BenchBKK"\n'
            f"rate_per_second = {RATE_PER_SECOND['sms']}\n"
        )
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def store_client(url: str) -> redis.Redis:
    """A Redis client for the benchmark's own reads (strings)."""
    return connect(url)


def run_and_report(
    run: Callable[[Path], dict[str, Any]], run_dir: Path | None, output: Path | None, name: str
) -> None:
    """Run a benchmark in its run folder and print its JSON (also to ``output``).

    Ctrl-C and SIGTERM end the run with status 130 once every process it started stopped.
    """
    folder = run_dir or Path(tempfile.mkdtemp(prefix=f"lifeline-{name}-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"run folder (logs, config): {folder}", file=sys.stderr, flush=True)
    try:
        result = run(folder)
    except KeyboardInterrupt:
        print("interrupted; every process was stopped", file=sys.stderr)
        raise SystemExit(130) from None
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf-8")
    print(text)
