"""Delivery ledger: claim before send, record after, never overwrite a final state."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

from lifeline.store import deliveries
from lifeline.store.deliveries import DONE, FRESH, RECLAIMED, DeliveryLedger


async def test_claim_record_and_rerun(redis_client: redis.Redis, redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        ledger = DeliveryLedger(client, "a", 1, "sms")
        deliveries.set_total(redis_client, "a", 1, "sms", 4)
        assert [await ledger.claim(m) for m in (1, 2, 3)] == [FRESH, FRESH, FRESH]
        assert await ledger.record(1, "sent", "msg-1")
        assert await ledger.record(2, "failed", "invalid number")
        assert not await ledger.record(1, "failed", "late duplicate outcome")
        # A rerun after a crash: 1 and 2 are final, 3 was on the wire, 4 never started.
        assert await ledger.unfinished([1, 2, 3, 4]) == [3, 4]
        assert [await ledger.claim(m) for m in (1, 2, 3, 4)] == [DONE, DONE, RECLAIMED, FRESH]
        await ledger.record(3, "sent")
        await ledger.record(4, "skipped", "member deleted")
        got = deliveries.progress(redis_client, "a", 1, ("sms",))["sms"]
        assert (got.total, got.sent, got.failed, got.skipped, got.reclaimed, got.pending) == (
            4,
            2,
            1,
            1,
            1,
            0,
        )
        assert deliveries.failure_reasons(redis_client, "a", 1, "sms") == {"invalid number": 1}
        assert deliveries.state_of(redis_client, "a", 1, "sms", 1) == "s:msg-1"
    finally:
        await client.aclose()
