"""Fault injection: real ``lifeline worker`` processes, a real Redis, the local providers —
and then something breaks. Each test counts what the provider received per address:
delivered once, duplicates (only sends that were in flight, and counted), lost (none).

What the tests share lives here: the config, the worker processes (each in its own process
group, so a SIGKILL takes its RQ scheduler child along, as a crashed container would), the
members and the notice, and the tally of what arrived.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from lifeline.api import create_app
from lifeline.config import load_settings
from lifeline.store import apikeys, deliveries, keys
from lifeline.store.deliveries import ChannelProgress
from lifeline.store.members import MemberData, MemberStore
from tests.api.helpers import NOTICE, TestClient
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN
from tests.providers.smsgateway import SmsGatewayServer
from tests.providers.smtp import SmtpServer

TENANT = "demo-bkk"

CONFIG = """
[redis]
url = "{redis_url}"

[worker]
batch_size = {batch_size}
concurrency = {concurrency}
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
rate_per_second = {telegram_rate}

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
"""


@pytest.fixture
def fault_config(
    tmp_path: Path,
    redis_url: str,
    bot_api: BotApiServer,
    smtp_server: SmtpServer,
    sms_gateway: SmsGatewayServer,
) -> Callable[..., Path]:
    """Write a config whose channels point at the local stand-ins; keywords override."""

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
        }
        values.update(overrides)
        path = tmp_path / "lifeline.toml"
        path.write_text(CONFIG.format(**values), encoding="utf-8")
        return path

    return write


class Fleet:
    """``lifeline worker`` processes for one config, each the leader of its process group."""

    def __init__(self, config: Path, log_dir: Path) -> None:
        self.config = config
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, name: str | None = None) -> subprocess.Popen[bytes]:
        """One more worker (named, as systemd's ``--name %H-%i`` does, if given)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
        env["LIFELINE_CONFIG"] = str(self.config)
        args = [sys.executable, "-m", "lifeline", "worker"]
        if name:
            args += ["--name", name]
        with (self.log_dir / f"worker-{len(self.processes)}.log").open("wb") as log:
            process = subprocess.Popen(
                args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
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


def phone(i: int) -> str:
    return f"+49151{20_000_000 + i}"


def email(i: int) -> str:
    return f"member{i}@example.org"


def chat(i: int) -> int:
    return 5_000_000 + i


def seed_members(
    client: redis.Redis, n: int, *, first: int = 0, topic: str = "outages"
) -> list[int]:
    """n members (numbered from ``first``) following ``topic`` with a chat, a mailbox and
    a phone each; their ids."""
    rows = [
        MemberData(
            language="de" if i % 3 else "en",
            topics=(topic,),
            telegram_chat_id=chat(i),
            email=email(i),
            phone=phone(i),
        )
        for i in range(first, first + n)
    ]
    results = MemberStore(client).upsert_many(TENANT, rows)
    ids = [r[0] for r in results if isinstance(r, tuple) and r[1]]
    assert len(ids) == n, "every member is new"
    return ids


def admin_api(config: Path, client: redis.Redis) -> TestClient:
    """An API client (admin key) for this config; use it as a context manager."""
    api = TestClient(create_app(load_settings(config, env={})))
    api.headers["Authorization"] = f"Bearer {apikeys.create(client, TENANT, {'admin'})}"
    return api


def post_notice(api: TestClient, *kinds: str, topic: str = "outages") -> int:
    """Post the standard notice on these channels (to one topic); its id."""
    reply = api.post("/v1/notices", json=NOTICE | {"channels": list(kinds), "topics": [topic]})
    assert reply.status_code == 202, reply.text
    return int(reply.json()["id"])


def progress(client: redis.Redis, notice_id: int, kind: str) -> ChannelProgress:
    """The notice's counters on one channel, straight from the store."""
    return deliveries.progress(client, TENANT, notice_id, (kind,))[kind]


def complete(client: redis.Redis, notice_id: int, kind: str, total: int) -> Callable[[], bool]:
    """A predicate: every one of ``total`` recipients has a final state."""

    def done() -> bool:
        p = progress(client, notice_id, kind)
        return p.total == total and p.pending == 0

    return done


def on_the_wire(client: redis.Redis, notice_id: int, kind: str) -> int:
    """Recipients claimed but not recorded (state ``w``)."""
    states = client.hvals(keys.deliveries(TENANT, notice_id, kind))
    return sum(1 for s in states if s.startswith("w"))


@dataclass(frozen=True)
class Tally:
    """What the provider received, against whom it should have reached."""

    delivered: int
    """Addresses that received it at least once."""
    duplicates: int
    """Messages beyond the first per address."""
    lost: int
    """Addresses that never received it."""
    strangers: int
    """Messages to addresses nobody expected."""


def tally(received: Iterable[str], expected: Iterable[str]) -> Tally:
    counts = Counter(received)
    wanted = set(expected)
    return Tally(
        delivered=sum(1 for a in wanted if counts[a] > 0),
        duplicates=sum(n - 1 for a, n in counts.items() if a in wanted and n > 1),
        lost=sum(1 for a in wanted if counts[a] == 0),
        strangers=sum(n for a, n in counts.items() if a not in wanted),
    )
