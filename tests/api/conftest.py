"""An API per test, built from test settings, with API keys made in the store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.db import connect_rq
from tests.api.helpers import TestClient

Headers = dict[str, str]
KeyMaker = Callable[..., Headers]

OTHER_TENANT: dict[str, Any] = {
    "id": "other-kk",
    "name": "Other KK",
    "topics": ["outages"],
    "channels": {"email": {"provider": "outbox", "path": "outbox-other"}},
}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Tenant demo-bkk (all channels on outboxes) and a second tenant, other-kk."""
    return make_settings(extra_tenants=[OTHER_TENANT])


@pytest.fixture
def api(settings: Settings, redis_client: redis.Redis) -> Iterator[TestClient]:
    """A client of a fresh app on the flushed test database (lifespan run, clients closed)."""
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def rq_client(redis_url: str, redis_client: redis.Redis) -> Iterator[redis.Redis]:
    """A bytes client for looking into RQ's queues."""
    client = connect_rq(redis_url)
    yield client
    client.close()


@pytest.fixture
def make_key(redis_client: redis.Redis) -> KeyMaker:
    """``make_key("publisher", tenant="other-kk")`` → Authorization headers of a new key."""

    def make(*roles: str, tenant: str = "demo-bkk") -> Headers:
        key = apikeys.create(redis_client, tenant, set(roles), name="test")
        return {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def publisher(make_key: KeyMaker) -> Headers:
    """Headers of a demo-bkk publisher key."""
    return make_key("publisher")


@pytest.fixture
def admin(make_key: KeyMaker) -> Headers:
    """Headers of a demo-bkk admin key."""
    return make_key("admin")
