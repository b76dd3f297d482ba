"""The provider breakers, against a real Redis (its clock is Redis's TIME): what opens them,
what does not, the half-open probe, and the order ``pick`` tries providers in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from lifeline.channels import Delivered, Failed, RetryLater
from lifeline.channels.base import BreakerConfig
from lifeline.delivery.breaker import CLOSED, FORCED, PROBE, Breakers, Pick, health

FAST = BreakerConfig(cooldown_seconds=0.2)
BUSY = RetryLater("gateway answered HTTP 503")


@pytest.fixture
async def client(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[aioredis.Redis]:
    async_client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield async_client
    await async_client.aclose()


def chain(client: aioredis.Redis, *configs: BreakerConfig) -> Breakers:
    names = ["a", "b", "c"][: len(configs)]
    return Breakers(client, "demo-bkk", "sms", list(zip(names, configs, strict=True)))


def states(redis_client: redis.Redis, n: int = 2) -> list[str]:
    return [h.state for h in health(redis_client, "demo-bkk", "sms", ["a", "b", "c"][:n])]


async def fail(breakers: Breakers, index: int, times: int) -> list[str]:
    return [await breakers.record(Pick(index, CLOSED), BUSY) for _ in range(times)]


async def test_a_run_of_transient_failures_opens_and_moves_to_the_next(
    client: aioredis.Redis, redis_client: redis.Redis
) -> None:
    breakers = chain(client, BreakerConfig(failure_streak=5), BreakerConfig())

    assert await fail(breakers, 0, 5) == ["closed"] * 4 + ["open"]
    assert await breakers.pick() == Pick(1, CLOSED)
    assert states(redis_client) == ["open", "closed"]


async def test_a_success_breaks_the_run(client: aioredis.Redis) -> None:
    breakers = chain(client, BreakerConfig(failure_streak=3), BreakerConfig())
    for _ in range(4):
        await fail(breakers, 0, 2)
        assert await breakers.record(Pick(0, CLOSED), Delivered("id")) == "closed"

    assert await breakers.pick() == Pick(0, CLOSED)


async def test_permanent_failures_do_not_count_against_a_provider(
    client: aioredis.Redis,
) -> None:
    breakers = chain(client, BreakerConfig(failure_streak=2, min_attempts=2), BreakerConfig())
    for _ in range(30):
        assert await breakers.record(Pick(0, CLOSED), Failed("invalid number")) == "closed"

    assert await breakers.pick() == Pick(0, CLOSED)


async def test_an_error_share_over_the_window_opens(client: aioredis.Redis) -> None:
    share = BreakerConfig(min_attempts=10, error_share=0.5, failure_streak=100)
    breakers = chain(client, share, BreakerConfig())
    results = []
    for _ in range(5):
        results.append(await breakers.record(Pick(0, CLOSED), Delivered()))
        results += await fail(breakers, 0, 1)

    # Below ten sends a share says nothing; the tenth makes five of ten.
    assert results == ["closed"] * 9 + ["open"]


async def test_failures_leave_the_window(client: aioredis.Redis) -> None:
    short = BreakerConfig(window_seconds=6, min_attempts=4, error_share=0.5, failure_streak=100)
    breakers = chain(client, short, BreakerConfig())
    await fail(breakers, 0, 1)
    await breakers.record(Pick(0, CLOSED), Delivered())
    await asyncio.sleep(6.5)  # both sends are out of the window now
    await breakers.record(Pick(0, CLOSED), Delivered())
    await breakers.record(Pick(0, CLOSED), Delivered())

    assert await fail(breakers, 0, 1) == ["closed"]  # one of three in the window, not two of five


async def test_half_open_lets_one_probe_through_and_its_success_closes(
    client: aioredis.Redis, redis_client: redis.Redis
) -> None:
    breakers = chain(client, BreakerConfig(failure_streak=1, cooldown_seconds=0.2), FAST)
    await fail(breakers, 0, 1)
    assert await breakers.pick() == Pick(1, CLOSED)
    await asyncio.sleep(0.3)
    assert states(redis_client) == ["half_open", "closed"]

    probe = await breakers.pick()
    assert probe == Pick(0, PROBE)
    assert await breakers.pick() == Pick(1, CLOSED), "one probe at a time"
    assert await breakers.record(probe, Delivered()) == "closed"
    assert await breakers.pick() == Pick(0, CLOSED)
    assert states(redis_client) == ["closed", "closed"]


async def test_a_failed_probe_opens_again_for_a_new_cool_down(client: aioredis.Redis) -> None:
    breakers = chain(client, BreakerConfig(failure_streak=1, cooldown_seconds=0.2), FAST)
    await fail(breakers, 0, 1)
    await asyncio.sleep(0.3)
    probe = await breakers.pick()
    assert probe.probe

    assert await breakers.record(probe, BUSY) == "open"
    assert await breakers.pick() == Pick(1, CLOSED)


async def test_sends_under_way_when_it_opened_do_not_close_it(client: aioredis.Redis) -> None:
    breakers = chain(client, BreakerConfig(failure_streak=1), BreakerConfig())
    await fail(breakers, 0, 1)

    assert await breakers.record(Pick(0, CLOSED), Delivered()) == "open"


async def test_the_provider_that_just_failed_a_recipient_is_passed_over(
    client: aioredis.Redis,
) -> None:
    breakers = chain(client, BreakerConfig(), BreakerConfig(failure_streak=1))
    assert await breakers.pick(avoid=0) == Pick(1, CLOSED)
    await fail(breakers, 1, 1)

    assert await breakers.pick(avoid=0) == Pick(0, CLOSED), "nothing else admits a send"


async def test_when_every_breaker_is_open_the_first_sends(
    client: aioredis.Redis, redis_client: redis.Redis
) -> None:
    breakers = chain(client, BreakerConfig(failure_streak=1), BreakerConfig(failure_streak=1))
    await fail(breakers, 0, 1)
    await fail(breakers, 1, 1)

    assert await breakers.pick() == Pick(0, FORCED)
    assert states(redis_client) == ["open", "open"]


async def test_health_counts_sends_per_provider(
    client: aioredis.Redis, redis_client: redis.Redis
) -> None:
    breakers = chain(client, BreakerConfig(failure_streak=2), BreakerConfig())
    await breakers.record(Pick(0, CLOSED), Delivered())
    await breakers.record(Pick(0, CLOSED), Failed("invalid number"))
    await fail(breakers, 0, 2)
    await breakers.record(Pick(1, CLOSED), Delivered())

    a, b = health(redis_client, "demo-bkk", "sms", ["a", "b"])
    assert (a.state, a.sent, a.retried, a.failed, a.opened) == ("open", 1, 2, 1, 1)
    assert (b.state, b.sent, b.retried, b.failed, b.opened) == ("closed", 1, 0, 0, 0)
