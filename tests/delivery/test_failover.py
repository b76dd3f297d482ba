"""ProviderChain over two real SMS gateway stand-ins and a real Redis: a recipient one
provider failed is tried again through the next, a "slow down" holds only the provider
that said it, and a refused number is the recipient's fault, not the provider's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio as aioredis
from pydantic import SecretStr

from lifeline.channels import Delivered, Failed, Message, Recipient, RetryLater
from lifeline.channels.http_sms import HttpSmsConfig
from lifeline.delivery.breaker import health
from lifeline.delivery.failover import ProviderChain, channel_for, channel_rate
from lifeline.delivery.ratelimit import RateLimiter
from tests.providers.smsgateway import SmsGatewayServer

MESSAGE = Message(text="Störung: die App ist nicht erreichbar.")


def recipient(member_id: int) -> Recipient:
    return Recipient(member_id=member_id, address=f"+49151{20_000_000 + member_id}",
                     language="de")  # fmt: skip


def gateway(server: SmsGatewayServer, rate: float = 500) -> HttpSmsConfig:
    return HttpSmsConfig(url=server.send_url, token=SecretStr(server.token), sender="DemoBKK",
                         rate_per_second=rate)  # fmt: skip


@pytest.fixture
async def client(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[aioredis.Redis]:
    async_client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield async_client
    await async_client.aclose()


@pytest.fixture
def second(sms_gateway: SmsGatewayServer) -> Iterator[SmsGatewayServer]:
    with SmsGatewayServer(token=sms_gateway.token) as server:
        yield server


def chain(client: aioredis.Redis, a: SmsGatewayServer, b: SmsGatewayServer) -> ProviderChain:
    return ProviderChain(client, "demo-bkk", "sms", [("gw-a", gateway(a)), ("gw-b", gateway(b))])


async def test_a_recipient_one_provider_failed_is_retried_through_the_next(
    client: aioredis.Redis, sms_gateway: SmsGatewayServer, second: SmsGatewayServer
) -> None:
    sms_gateway.down = True
    async with chain(client, sms_gateway, second) as channel:
        first = await channel.send(recipient(1), MESSAGE)
        again = await channel.send(recipient(1), MESSAGE)
        other = await channel.send(recipient(2), MESSAGE)

    assert isinstance(first, RetryLater)
    assert first.reason.startswith("gw-a: http gateway answered HTTP 503")
    assert isinstance(again, Delivered)
    assert [s.to for s in second.delivered] == [recipient(1).address]
    # Recipient 2 is new: A's breaker is still closed (one failure), so A is tried first.
    assert isinstance(other, RetryLater)
    assert sms_gateway.delivered == []


async def test_slow_down_from_one_provider_pauses_that_provider_only(
    client: aioredis.Redis, sms_gateway: SmsGatewayServer, second: SmsGatewayServer
) -> None:
    sms_gateway.retry_after = 3
    sms_gateway.fail_next(1, "429")
    async with chain(client, sms_gateway, second) as channel:
        outcome = await channel.send(recipient(1), MESSAGE)

    # No Retry-After for the batch: it would pause the whole channel, every provider.
    assert isinstance(outcome, RetryLater)
    assert outcome.after is None
    a = RateLimiter(client, "demo-bkk", "sms:gw-a", 500)
    b = RateLimiter(client, "demo-bkk", "sms:gw-b", 500)
    assert await a.reserve([a.slot]) > 2
    assert await b.reserve([b.slot]) < 1


async def test_a_refused_number_stays_failed_and_counts_as_an_answer(
    client: aioredis.Redis,
    redis_client: redis.Redis,
    sms_gateway: SmsGatewayServer,
    second: SmsGatewayServer,
) -> None:
    sms_gateway.invalid_numbers.add(recipient(1).address)
    async with chain(client, sms_gateway, second) as channel:
        outcomes = [await channel.send(recipient(1), MESSAGE) for _ in range(6)]

    assert all(isinstance(o, Failed) for o in outcomes)
    assert second.calls == []
    a = health(redis_client, "demo-bkk", "sms", ["gw-a"])[0]
    assert (a.state, a.failed, a.retried) == ("closed", 6, 0)


def test_one_provider_is_sent_through_as_before(
    client: aioredis.Redis, sms_gateway: SmsGatewayServer, second: SmsGatewayServer
) -> None:
    one = [("http", gateway(sms_gateway, rate=20))]
    two = [*one, ("gw-b", gateway(second, rate=50))]

    assert not isinstance(channel_for(client, "demo-bkk", "sms", one), ProviderChain)
    assert isinstance(channel_for(client, "demo-bkk", "sms", two), ProviderChain)
    assert (channel_rate(one), channel_rate(two)) == (20, 50)
