"""The shared limiter's arithmetic, against a real Redis (its clock is Redis's TIME)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from lifeline.core import defaults
from lifeline.delivery.ratelimit import ChatPacer, RateLimiter

LEAD = defaults.RATE_LEAD_US / 1_000_000


@pytest.fixture
async def client(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[aioredis.Redis]:
    async_client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield async_client
    await async_client.aclose()


async def test_slots_are_spaced_by_the_rate_with_headroom(client: aioredis.Redis) -> None:
    limiter = RateLimiter(client, "t", "sms", 10)
    waits = [await limiter.reserve([limiter.slot]) for _ in range(4)]
    spacing = 1 / (10 * defaults.RATE_HEADROOM)
    # An idle limiter's first slot lies LEAD ahead; each next one a slot further.
    for n, wait in enumerate(waits):
        assert wait == pytest.approx(LEAD + n * spacing, abs=0.02)


async def test_a_limiter_in_use_but_not_saturated_adds_no_wait(client: aioredis.Redis) -> None:
    limiter = RateLimiter(client, "t", "email", 1000)
    await limiter.reserve([limiter.slot])
    await asyncio.sleep(LEAD + 0.01)
    assert await limiter.reserve([limiter.slot]) == 0.0
    await asyncio.sleep(0.01)
    assert await limiter.reserve([limiter.slot]) == 0.0


async def test_pause_holds_every_sender_of_the_channel(client: aioredis.Redis) -> None:
    first = RateLimiter(client, "t", "telegram", 1000)
    other_worker = RateLimiter(client, "t", "telegram", 1000)
    await first.pause(0.5)
    assert await other_worker.reserve([other_worker.slot]) == pytest.approx(0.5, abs=0.05)


async def test_one_message_a_second_per_chat(client: aioredis.Redis) -> None:
    limiter = RateLimiter(client, "t", "telegram", 1000)
    chats = ChatPacer("t")
    first = await limiter.reserve([limiter.slot, chats.slot("42")])
    second = await limiter.reserve([limiter.slot, chats.slot("42")])
    other_chat = await limiter.reserve([limiter.slot, chats.slot("43")])
    assert first == pytest.approx(LEAD, abs=0.02)  # the idle channel's lead, not the chat's
    assert second == pytest.approx(1.0, abs=0.02)
    assert other_chat < first + 0.1


async def test_a_chats_first_message_waits_only_for_the_channel(client: aioredis.Redis) -> None:
    # In a broadcast nearly every send is a chat's first: a lead there would delay them all.
    limiter = RateLimiter(client, "t", "telegram", 1000)
    chats = ChatPacer("t")
    await limiter.reserve([limiter.slot])
    await asyncio.sleep(LEAD + 0.01)
    # At most the channel's own spacing (≈1 ms at 1,000/s), never the lead (50 ms).
    assert await limiter.reserve([limiter.slot, chats.slot("7")]) < 0.01
    assert await limiter.reserve([limiter.slot, chats.slot("8")]) < 0.01


async def test_only_fast_channels_take_a_slot_under_a_millisecond_early(
    client: aioredis.Redis,
) -> None:
    fast, slow = RateLimiter(client, "t", "email", 10_000), RateLimiter(client, "t", "sms", 20)
    early = defaults.SLOT_EARLY_SECONDS
    assert fast.due(early / 2) == 0.0  # 100 µs slots: the lane's slots go out together
    assert fast.due(early * 2) == early * 2
    assert slow.due(early / 2) == early / 2  # 50 ms slots: every slot kept exactly
    assert slow.due(0.0) == 0.0
