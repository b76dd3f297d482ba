"""End-to-end runs: the API in-process, real ``lifeline worker`` processes, local providers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer

CONFIG = """
[redis]
url = "{redis_url}"

[worker]
batch_size = {batch_size}
concurrency = 8
max_attempts = {max_attempts}
retry_base_seconds = 0.05

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
rate_per_second = {rate}

[tenants.channels.email]
provider = "smtp"
smtp_url = "{smtp_url}"
from = "Demo BKK <service@example.org>"
rate_per_second = {rate}

[tenants.channels.sms]
provider = "http"
url = "{sms_url}"
token = "{sms_token}"
sender = "DemoBKK"
rate_per_second = {rate}
"""


class Workers:
    """``lifeline worker`` processes against one config file; stopped with SIGTERM."""

    def __init__(self, config: Path, log_dir: Path) -> None:
        self.config = config
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, n: int = 1) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
        env["LIFELINE_CONFIG"] = str(self.config)
        for _ in range(n):
            with (self.log_dir / f"worker-{len(self.processes)}.log").open("wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "lifeline", "worker"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.processes)

    def stop(self) -> list[int]:
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.processes:
            try:
                codes.append(p.wait(timeout=30))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(p.wait())
        return codes

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture
def write_config(
    tmp_path: Path,
    redis_url: str,
    bot_api: BotApiServer,
    smtp_server: SmtpServer,
    sms_gateway: SmsGatewayServer,
) -> Callable[..., Path]:
    """Write a config whose channels point at the local stand-ins."""

    def write(**overrides: Any) -> Path:
        values = {
            "redis_url": redis_url,
            "batch_size": 100,
            "max_attempts": 5,
            "rate": 1000,
            "bot_token": BOT_TOKEN,
            "api_base": bot_api.api_base,
            "smtp_url": smtp_server.url(),
            "sms_url": sms_gateway.send_url,
            "sms_token": sms_gateway.token,
        }
        values.update(overrides)
        path = tmp_path / "lifeline.toml"
        path.write_text(CONFIG.format(**values), encoding="utf-8")
        return path

    return write


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[[Path], Workers]]:
    """Start workers for a config; they are stopped when the test ends."""
    started: list[Workers] = []

    def make(config: Path) -> Workers:
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        group = Workers(config, logs)
        started.append(group)
        return group

    yield make
    for group in started:
        group.stop()


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll until true; fail naming ``what`` if the bound passes (a hang, not a slow run)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")
