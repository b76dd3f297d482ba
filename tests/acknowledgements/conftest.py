"""A tenant on all three channels for acknowledgements: Telegram through the Bot API
stand-in (webhook mode), email and SMS on outboxes (SMS with an inbound token), the public
side signing links; the admin API and the public routes in one app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from lifeline.access import apikeys
from lifeline.api import create_app
from lifeline.config import Settings
from lifeline.members import MemberData, MemberStore
from tests.api.helpers import TestClient
from tests.bot.conftest import telegram_config
from tests.providers.botapi import BotApiServer

T = "demo-bkk"
WEB: dict[str, Any] = {"public_url": "https://hilfe.example.org", "secret": "s" * 40}
INBOUND_TOKEN = "inbound-" + "t" * 24


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], bot_api: BotApiServer, tmp_path: Path
) -> Settings:
    outbox = {"provider": "outbox", "path": str(tmp_path / "outbox")}
    return make_settings(
        web=WEB,
        channels={
            "telegram": telegram_config(bot_api, rate_per_second=1000, allow_paid_broadcast=True),
            "email": outbox,
            "sms": outbox | {"inbound_token": INBOUND_TOKEN},
        },
    )


@pytest.fixture
def app(settings: Settings, redis_client: redis.Redis) -> Iterator[TestClient]:
    """Admin API (publisher key in its headers), public pages and webhooks in one app."""
    key = apikeys.create(redis_client, T, {"publisher"}, name="test")
    with TestClient(create_app(settings)) as client:
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def add_member(client: redis.Redis, language: str = "de", **contact: Any) -> int:
    """A member following ``outages`` with these contacts; their id."""
    data = MemberData(language=language, topics=("outages",), **contact)
    return MemberStore(client).create(T, data).id
