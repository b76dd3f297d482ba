"""``lifeline notice approve | reject ID`` against a live ``lifeline api`` (issue 13.1)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from lifeline.access import apikeys
from lifeline.cli.embedded_redis import free_port
from tests import reaper
from tests.api.helpers import NOTICE
from tests.cli import test_commands
from tests.cli.test_commands import lifeline
from tests.processes import wait_healthy

CONFIG = test_commands.CONFIG + '\n[tenants.approval]\nseverities = ["critical"]\n'


@pytest.fixture
def env(tmp_path: Path, redis_url: str) -> dict[str, str]:
    config = tmp_path / "lifeline.toml"
    config.write_text(CONFIG.format(redis_url=redis_url, outbox=tmp_path / "outbox"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_")}
    return {**clean, "LIFELINE_CONFIG": str(config)}


@pytest.fixture
def api_url(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    with (tmp_path / "api.log").open("wb") as log:
        server = reaper.spawn([sys.executable, "-m", "lifeline", "api", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_approve_and_reject_from_the_shell(
    env: dict[str, str], api_url: str, tmp_path: Path, redis_client: redis.Redis
) -> None:
    paul = apikeys.create(redis_client, "demo-bkk", {"publisher"}, "Paul")
    maria = apikeys.create(redis_client, "demo-bkk", {"publisher"}, "Maria")
    critical = NOTICE | {"severity": "critical", "channels": ["email"]}
    ids = [
        httpx.post(f"{api_url}/v1/notices", json=critical,
                   headers={"Authorization": f"Bearer {paul}"}).json()["id"]
        for _ in range(2)
    ]  # fmt: skip

    own = lifeline("notice", "approve", str(ids[0]), "--key", paul, "--api", api_url,
                   env=env, cwd=tmp_path)  # fmt: skip
    assert own.returncode != 0
    assert "proposed by 'Paul'" in own.stderr
    assert "Traceback" not in own.stderr
    approved = lifeline("notice", "approve", str(ids[0]), "--key", maria, "--api", api_url,
                        "--note", "checked with IT", env=env, cwd=tmp_path)  # fmt: skip
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.strip() == "active"
    assert "approved by Maria" in approved.stderr
    rejected = lifeline("notice", "reject", str(ids[1]), "--key", maria, "--api", api_url,
                        env=env, cwd=tmp_path)  # fmt: skip
    assert rejected.returncode == 0, rejected.stderr
    assert rejected.stdout.strip() == "rejected"
