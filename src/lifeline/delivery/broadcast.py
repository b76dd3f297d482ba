"""The tenant's public Telegram channel: one post reaches every follower at once.

Telegram lets a bot send about 30 messages a second, so a million members one by one take
nine hours; a channel post takes one call. Every notice, update and resolve is posted there
in each language it has, follow-ups as replies to the notice's post.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import cast

from lifeline import messages
from lifeline.channels import Delivered, Failed, Recipient, TelegramConfig
from lifeline.config import TenantConfig
from lifeline.core import defaults
from lifeline.db import connect_async
from lifeline.delivery import context, records
from lifeline.delivery.ratelimit import RateLimiter
from lifeline.notices.store import NoticeStore

log = logging.getLogger(__name__)


def broadcast_target(tenant: TenantConfig) -> int | str | None:
    """The tenant's broadcast channel, if it has a Telegram bot and named one."""
    provider = tenant.channels.telegram
    return provider.broadcast_chat_id if isinstance(provider, TelegramConfig) else None


async def post_broadcast(tenant_id: str, notice_id: int) -> dict[str, str]:
    """Post a notice to the tenant's channel once per language; message ids by language."""
    rt = context.current()
    tenant = rt.settings.tenant(tenant_id)
    target = broadcast_target(tenant) if tenant else None
    if tenant is None or target is None:
        return {}
    provider = cast(TelegramConfig, tenant.channels.telegram)
    notice = NoticeStore(rt.redis).get(tenant_id, notice_id)
    posted = records.broadcast_posts(rt.redis, tenant_id, notice_id)
    parents = (
        records.broadcast_posts(rt.redis, tenant_id, notice.parent_id) if notice.parent_id else {}
    )
    languages = sorted(notice.headline, key=lambda lang: lang != tenant.default_language)
    client = connect_async(rt.settings.redis.url)
    try:
        limiter = RateLimiter(client, tenant_id, "telegram", provider.rate_per_second)
        async with provider.create(kind="telegram", tenant_id=tenant_id) as channel:
            for language in languages:
                if language in posted:
                    continue
                message = messages.render(tenant, notice, "telegram", language)
                if language in parents:
                    message = replace(message, reply_to=parents[language])
                recipient = Recipient(member_id=0, address=str(target), language=language)
                for attempt in range(1, defaults.BROADCAST_ATTEMPTS + 1):
                    await limiter.acquire()
                    outcome = await channel.send(recipient, message)
                    if isinstance(outcome, Delivered):
                        posted[language] = outcome.provider_id or ""
                        records.record_broadcast_post(
                            rt.redis, tenant_id, notice_id, language, posted[language]
                        )
                        break
                    if isinstance(outcome, Failed) or attempt == defaults.BROADCAST_ATTEMPTS:
                        raise RuntimeError(f"broadcast post to {target} failed: {outcome}")
                    await asyncio.sleep(outcome.after or attempt)
    finally:
        await client.aclose()
    return posted
