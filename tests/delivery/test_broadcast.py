"""The tenant's public Telegram channel gets every notice, update and resolve once per language."""

from __future__ import annotations

import json
from collections.abc import Callable

import redis

from lifeline.config import Settings
from lifeline.delivery import worker
from lifeline.members import MemberData, MemberStore
from tests.delivery.test_fanout import NOTICE
from tests.delivery.test_lifecycle import follow, post
from tests.providers.botapi import BotApiServer, visible_text
from tests.providers.fixtures import BOT_TOKEN

CHANNEL = "@demo_bkk_status"


def test_notice_and_resolve_are_posted_to_the_broadcast_channel(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    telegram = {
        "provider": "telegram",
        "token": BOT_TOKEN,
        "api_base": bot_api.api_base,
        "broadcast_chat_id": CHANNEL,
        "rate_per_second": 1000,
        "allow_paid_broadcast": True,
    }
    settings = make_settings(channels={"telegram": telegram})
    MemberStore(redis_client).create(
        "demo-bkk", MemberData(language="en", topics=("outages",), telegram_chat_id=4242)
    )
    notice_id = post(settings, redis_client, {**NOTICE, "channels": ["telegram"]})
    worker.run(settings, burst=True)
    follow(
        settings, redis_client, notice_id, "resolve", {"body": {"de": "Behoben.", "en": "Fixed."}}
    )
    worker.run(settings, burst=True)

    posts = bot_api.messages_to(CHANNEL)
    assert len(posts) == 4  # notice and resolve, each in German (the default) and English
    alert_de, alert_en, resolve_de, resolve_en = posts
    assert NOTICE["headline"]["de"] in visible_text(alert_de.text)  # type: ignore[index]
    assert NOTICE["headline"]["en"] in visible_text(alert_en.text)  # type: ignore[index]
    assert "Fixed." in visible_text(resolve_en.text)
    for resolve, alert in ((resolve_de, alert_de), (resolve_en, alert_en)):
        assert json.loads(resolve.params["reply_parameters"])["message_id"] == alert.message_id
    # The member still gets their own copy, once each.
    assert len(bot_api.messages_to(4242)) == 2


def test_outbox_tenant_has_no_broadcast(
    make_settings: Callable[..., Settings], redis_client: redis.Redis, bot_api: BotApiServer
) -> None:
    settings = make_settings()
    post(settings, redis_client, {**NOTICE, "channels": ["telegram"]})
    worker.run(settings, burst=True)
    assert bot_api.calls == []
