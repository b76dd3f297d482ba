"""Real ``lifeline worker`` processes for the end-to-end and fault suites: a config whose
channels point at the local provider stand-ins, the workers (each the leader of its own
process group, so a SIGKILL takes its RQ scheduler child along, as a crashed container
would), and a bounded wait."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import reaper
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer

SMS_INBOUND_TOKEN = "inbound-token-of-the-test-gateway"
"""What the SMS stand-in would send to ``POST /sms/demo-bkk/inbound``."""

CONFIG = """
[redis]
url = "{redis_url}"

[worker]
batch_size = {batch_size}
concurrency = {concurrency}
max_attempts = {max_attempts}
retry_base_seconds = 0.05
{web}
[[tenants]]
id = "demo-bkk"
name = "Demo BKK"
default_language = "de"
hotline = "+49 30 1234567"
website = "https://status.example.org"
topics = ["outages", "service"]

[tenants.channels.telegram]
provider = "telegram"
token = "{bot_token}"
api_base = "{api_base}"
rate_per_second = {telegram_rate}
allow_paid_broadcast = true

[tenants.channels.email]
provider = "smtp"
smtp_url = "{smtp_url}"
from = "Demo BKK <service@example.org>"
rate_per_second = {email_rate}

[tenants.channels.sms]
provider = "http"
url = "{sms_url}"
token = "{sms_token}"
sender = "DemoBKK"
rate_per_second = {sms_rate}
inbound_token = "{sms_inbound_token}"
"""


@pytest.fixture
def provider_config(
    tmp_path: Path,
    redis_url: str,
    bot_api: BotApiServer,
    smtp_server: SmtpServer,
    sms_gateway: SmsGatewayServer,
) -> Callable[..., Path]:
    """Write a config whose channels point at the local stand-ins; keywords override
    (``web=web_section(url)`` adds the public side)."""

    def write(**overrides: Any) -> Path:
        values: dict[str, Any] = {
            "redis_url": redis_url,
            "batch_size": 100,
            "concurrency": 8,
            "max_attempts": 12,
            "telegram_rate": 1000,
            "email_rate": 1000,
            "sms_rate": 1000,
            "bot_token": BOT_TOKEN,
            "api_base": bot_api.api_base,
            "smtp_url": smtp_server.url(),
            "sms_url": sms_gateway.send_url,
            "sms_token": sms_gateway.token,
            "web": "",
            "sms_inbound_token": SMS_INBOUND_TOKEN,
        }
        values.update(overrides)
        path = tmp_path / "lifeline.toml"
        path.write_text(CONFIG.format(**values), encoding="utf-8")
        return path

    return write


def web_section(public_url: str, secret: str = "w" * 40) -> str:
    """A ``[web]`` table for ``provider_config(web=...)``."""
    return f'\n[web]\npublic_url = "{public_url}"\nsecret = "{secret}"\n'


class Fleet:
    """``lifeline worker`` processes for one config, each the leader of its process group."""

    def __init__(self, config: Path, log_dir: Path) -> None:
        self.config = config
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str | None = None, *extra: str) -> subprocess.Popen[bytes]:
        """One more worker (named, as systemd's ``--name %H-%i`` does, if given; ``extra``
        arguments such as ``--log-format json``)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
        env["LIFELINE_CONFIG"] = str(self.config)
        args = [sys.executable, "-m", "lifeline", "worker"]
        if name:
            args += ["--name", name]
        args += extra
        with (self.log_dir / f"worker-{len(self.processes)}.log").open("wb") as log:
            process = reaper.spawn(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the worker and its scheduler child: nothing runs on, nothing cleans up."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def terminate(self, process: subprocess.Popen[bytes], timeout: float = 60) -> int:
        """SIGTERM the worker (as systemd stops it) and return its exit code."""
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=timeout)

    def start_many(self, n: int) -> None:
        """``n`` more unnamed workers."""
        for _ in range(n):
            self.start()

    def alive(self) -> bool:
        """Whether every worker started is still running."""
        return all(p.poll() is None for p in self.processes)

    def running(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.processes if p.poll() is None]

    def stop(self) -> None:
        """Stop every worker still running; whatever is left of a group is killed."""
        for process in self.running():
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # a scheduler child left behind

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Callable[[Path], Fleet]]:
    """Make a fleet of workers for a config; every worker is stopped when the test ends."""
    made: list[Fleet] = []

    def make(config: Path) -> Fleet:
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        made.append(Fleet(config, logs))
        return made[-1]

    yield make
    for group in made:
        group.stop()


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll until true; fail naming ``what`` once the bound passes (a hang, not a slow run)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def wait_healthy(base: str, *, timeout: float = 30) -> None:
    """Wait until a ``lifeline api``/``web`` process answers ``/healthz``; fail if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail(f"{base} did not come up")
