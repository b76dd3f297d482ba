"""The public side as members' browsers and mail programs see it, and the admin API beside it
to post notices, on the session's Redis."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.web import create_web_app
from tests.api.helpers import TestClient

SECRET = "s" * 40
PUBLIC_URL = "https://hilfe.example.org"
WEB: dict[str, Any] = {"public_url": PUBLIC_URL, "secret": SECRET}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Tenant demo-bkk on outboxes, with a public URL and a signing secret."""
    return make_settings(web=WEB)


@pytest.fixture
def web(settings: Settings, redis_client: redis.Redis) -> Iterator[TestClient]:
    """The public app of ``lifeline web``."""
    with TestClient(create_web_app(settings), base_url=PUBLIC_URL) as client:
        yield client


@pytest.fixture
def admin_api(settings: Settings, redis_client: redis.Redis) -> Iterator[TestClient]:
    """The admin API on the same store, with a publisher key in its default headers."""
    key = apikeys.create(redis_client, "demo-bkk", {"publisher", "admin"}, name="test")
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client
