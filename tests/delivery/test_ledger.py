"""Delivery ledger: claim before send, record after, never overwrite a final state."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

from lifeline.delivery import records
from lifeline.delivery.ledger import BUSY, DONE, FRESH, RECLAIMED, DeliveryLedger


async def test_claim_record_and_rerun(redis_client: redis.Redis, redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        first = DeliveryLedger(client, "a", 1, "sms")
        records.set_total(redis_client, "a", 1, "sms", 4)
        assert [await first.claim(m) for m in (1, 2, 3)] == [FRESH, FRESH, FRESH]
        assert await first.claim(3) == FRESH  # its own claim, e.g. a retried command
        assert await first.record(1, "sent", "msg-1")
        assert await first.record(2, "failed", "invalid number")
        assert not await first.record(1, "failed", "late duplicate outcome")
        # A rerun after a crash: 1 and 2 are final, 3 was on the wire, 4 never started.
        rerun = DeliveryLedger(client, "a", 1, "sms")
        assert await rerun.unfinished([1, 2, 3, 4]) == [3, 4]
        assert [await rerun.claim(m) for m in (1, 2, 3, 4)] == [DONE, DONE, RECLAIMED, FRESH]
        await rerun.record(3, "sent")
        await rerun.record(4, "skipped", "member deleted")
        got = records.progress(redis_client, "a", 1, ("sms",))["sms"]
        assert (got.total, got.sent, got.failed, got.skipped, got.reclaimed, got.pending) == (
            4, 2, 1, 1, 1, 0,
        )  # fmt: skip
        assert records.failure_reasons(redis_client, "a", 1, "sms") == {"invalid number": 1}
        assert records.state_of(redis_client, "a", 1, "sms", 1) == "s:msg-1"
    finally:
        await client.aclose()


async def test_a_live_run_keeps_its_recipients(redis_client: redis.Redis, redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        alive = DeliveryLedger(client, "a", 2, "sms")
        twin = DeliveryLedger(client, "a", 2, "sms")  # the same batch, queued twice
        async with alive.running():
            assert await alive.claim(1) == FRESH
            assert await twin.claim(1) == BUSY
            assert await twin.skip([1, 2], "notice resolved") == 1  # only 2: 1 is alive's
            assert await alive.record(1, "sent")
        assert records.state_of(redis_client, "a", 2, "sms", 2) == "k:notice resolved"
        # Once a run is gone, what it left on the wire is anyone's.
        assert await alive.claim(3) == FRESH
        assert await twin.claim(3) == RECLAIMED
    finally:
        await client.aclose()
