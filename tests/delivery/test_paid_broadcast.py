"""Telegram paid broadcasts through the whole delivery path: config → batch job → Bot API."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis

from lifeline.config import Settings
from lifeline.delivery import worker
from tests.delivery.test_fanout import NOTICE
from tests.delivery.test_lifecycle import add_members, post
from tests.providers.botapi import BotApiServer
from tests.providers.fixtures import BOT_TOKEN


@pytest.mark.parametrize(
    ("paid", "rate"),
    [(True, 1000), (False, 30)],
    ids=["opted-in", "free"],
)
def test_every_delivery_carries_the_opt_in_and_only_then(
    make_settings: Callable[..., Settings],
    redis_client: redis.Redis,
    bot_api: BotApiServer,
    paid: bool,
    rate: int,
) -> None:
    telegram = {"provider": "telegram", "token": BOT_TOKEN, "api_base": bot_api.api_base,
                "rate_per_second": rate, "allow_paid_broadcast": paid}  # fmt: skip
    settings = make_settings(channels={"telegram": telegram})
    add_members(redis_client, 6, telegram_chat_id=lambda i: 6100 + i)
    post(settings, redis_client, {**NOTICE, "channels": ["telegram"]})
    worker.run(settings, burst=True)
    sent = [m for m in bot_api.delivered if isinstance(m.chat_id, int) and m.chat_id >= 6100]
    assert len(sent) == 6
    if paid:
        assert all(str(m.params["allow_paid_broadcast"]).lower() == "true" for m in sent)
    else:  # absent, not false: Telegram bills only requests that carry it
        assert all("allow_paid_broadcast" not in m.params for m in sent)
