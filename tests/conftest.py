"""Shared fixtures: a real Redis (the machine's, else an embedded one) on a test database.

Tests never touch database 0, where ``lifeline dev`` and production keep their data:
``LIFELINE_TEST_REDIS_DB`` (default 13) is flushed before and after each test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from lifeline.config import Settings, settings_from_dict
from lifeline.embedded_redis import EmbeddedRedis

pytest_plugins = ["tests.providers.fixtures", "tests.processes"]

TEST_DB = int(os.environ.get("LIFELINE_TEST_REDIS_DB", "13"))


def _machine_redis() -> str | None:
    url = os.environ.get("LIFELINE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return None
    return f"{url.rstrip('/')}/{TEST_DB}"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the test database: 127.0.0.1:6379 when it answers, else an embedded server."""
    url = _machine_redis()
    if url:
        yield url
        return
    with EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendonly=False) as server:
        yield server.url.rsplit("/", 1)[0] + f"/{TEST_DB}"


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
        base.update(tenant)
        raw = {
            "redis": {"url": redis_url},
            "worker": worker,
            "tenants": [base, *extra_tenants],
        }
        return settings_from_dict(raw, env={})

    return build
