"""One message to one address outside any notice: a sign-up's confirmation mail or code,
the answer to an SMS STOP. It goes through the channel's queue, provider and rate limit
like a notice's messages, so a flood of sign-ups cannot outrun what the provider allows.
"""

from __future__ import annotations

import asyncio
import logging
import random

import redis
from rq import Queue

from lifeline.channels import Delivered, Failed, Message, Recipient
from lifeline.core import defaults
from lifeline.core.masking import mask_address
from lifeline.core.vocabulary import ChannelKind
from lifeline.db import connect_async
from lifeline.delivery import context, failover
from lifeline.delivery.queues import JOB_RETRY, queue_name
from lifeline.delivery.ratelimit import RateLimiter

log = logging.getLogger(__name__)


def enqueue_direct(
    rq_redis: redis.Redis,
    tenant_id: str,
    kind: ChannelKind,
    address: str,
    message: Message,
) -> None:
    """Queue one message for a worker of the channel (at the front: someone is waiting)."""
    Queue(queue_name(kind), connection=rq_redis).enqueue_call(
        send_direct,
        args=(tenant_id, kind, address, message),
        timeout=defaults.JOB_TIMEOUT_SECONDS,
        result_ttl=0,
        failure_ttl=defaults.JOB_FAILURE_TTL_SECONDS,
        retry=JOB_RETRY,
        at_front=True,
        description=f"{tenant_id}: one {kind} message",
    )


async def send_direct(tenant_id: str, kind: ChannelKind, address: str, message: Message) -> str:
    """Send it, retrying what the provider says to retry; the outcome in a few words."""
    rt = context.current()
    tenant = rt.settings.tenant(tenant_id)
    providers = tenant.channels.providers(kind) if tenant else []
    if not providers:
        log.warning("%s: no %s channel any more; a direct message is dropped", tenant_id, kind)
        return "skipped: channel not configured"
    client = connect_async(rt.settings.redis.url)
    limiter = RateLimiter(client, tenant_id, kind, failover.channel_rate(providers))
    recipient = Recipient(member_id=0, address=address, language=message.language)
    try:
        async with failover.channel_for(client, tenant_id, kind, providers) as channel:
            for attempt in range(1, rt.settings.worker.max_attempts + 1):
                await limiter.acquire()
                outcome = await channel.send(recipient, message)
                if isinstance(outcome, Delivered):
                    return "sent"
                if isinstance(outcome, Failed):
                    log.warning("%s: direct %s to %s failed: %s", tenant_id, kind,
                                mask_address(kind, address), outcome.reason)  # fmt: skip
                    return f"failed: {outcome.reason}"
                wait = outcome.after or random.uniform(0, 2**attempt)
                await asyncio.sleep(min(wait, defaults.RETRY_MAX_WAIT_SECONDS))
        return "failed: gave up"
    finally:
        await client.aclose()
