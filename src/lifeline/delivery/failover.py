"""A channel with several providers: send through the first whose breaker lets it, move to
the next when it fails, and back when it recovers (``breaker``).

    ProviderChain(Channel) ─ send ─► pick (lua/pick.lua) ─► that provider's own rate
        limit ─► its Channel.send ─► record the outcome on its breaker (lua/outcome.lua)

Sending twice because of a switch cannot happen: the batch's ledger claims a recipient per
notice and channel, whatever the provider, and a recipient whose send failed transiently is
tried again, through another provider when one admits a send, as one delivery of the same
claim. Each provider keeps its own ``rate_per_second`` (its own limiter key); the batch's
limiter for the channel runs at the fastest provider's rate and only bounds the batch.

When every breaker is open, the first provider sends anyway rather than waiting: a notice
must not stall for a cool-down, the batch's retries with backoff and ``max_attempts`` bound
what a dead provider costs (as with one provider), and any answer it gives is news.
A channel with one provider is sent through as before, without a breaker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis

from lifeline.channels import Channel, Message, Outcome, ProviderConfig, Recipient, RetryLater, wire
from lifeline.core import defaults
from lifeline.core.vocabulary import ChannelKind
from lifeline.delivery.breaker import Breakers
from lifeline.delivery.ratelimit import RateLimiter


def channel_for(
    client: aioredis.Redis,
    tenant_id: str,
    kind: ChannelKind,
    providers: Sequence[tuple[str, ProviderConfig]],
) -> Channel:
    """The channel to send through (not yet opened): the one provider's own, or a chain."""
    if len(providers) == 1:
        return providers[0][1].create(kind=kind, tenant_id=tenant_id)
    return ProviderChain(client, tenant_id, kind, providers)


def channel_rate(providers: Sequence[tuple[str, ProviderConfig]]) -> float:
    """The rate of the batch's own limiter: the fastest provider's (each paces itself)."""
    return max(config.rate_per_second for _, config in providers)


@dataclass
class _Route:
    name: str
    channel: Channel
    limiter: RateLimiter


class ProviderChain(Channel):
    """Sends through the first provider whose breaker admits it; see the module's text."""

    provider = "failover"
    paces_at_wire = False  # the batch sleeps for its slot; each provider's own is waited here

    def __init__(
        self,
        client: aioredis.Redis,
        tenant_id: str,
        kind: ChannelKind,
        providers: Sequence[tuple[str, ProviderConfig]],
    ) -> None:
        super().__init__(kind=kind, tenant_id=tenant_id)
        self.routes = [
            _Route(
                name,
                config.create(kind=kind, tenant_id=tenant_id),
                RateLimiter(client, tenant_id, f"{kind}:{name}", config.rate_per_second),
            )
            for name, config in providers
        ]
        self.breakers = Breakers(
            client, tenant_id, kind, [(name, config.breaker) for name, config in providers]
        )
        self._failed_at: dict[int, int] = {}
        """Recipient → the provider whose last send to them failed transiently: their retry
        goes elsewhere if anything else admits a send. Bounded by the batch (a chain kept
        across batch jobs forgets it at each one's start, ``forget``); a recipient leaves it
        with their final outcome."""

    def forget(self) -> None:
        """Start a new batch: no recipient's last failure carries over (``delivery.kept``)."""
        self._failed_at.clear()

    async def open(self) -> None:
        for route in self.routes:
            await route.channel.open()

    async def close(self) -> None:
        for route in self.routes:
            await route.channel.close()

    async def send(self, recipient: Recipient, message: Message) -> Outcome:
        pick = await self.breakers.pick(self._failed_at.get(recipient.member_id))
        route = self.routes[pick.index]
        outcome = await self._send(route, recipient, message)
        await self.breakers.record(pick, outcome)
        if not isinstance(outcome, RetryLater):
            self._failed_at.pop(recipient.member_id, None)
            return outcome
        self._failed_at[recipient.member_id] = pick.index
        return await self._retry_later(route, outcome)

    async def _send(self, route: _Route, recipient: Recipient, message: Message) -> Outcome:
        """Send through one provider once its own rate-limit slot has come."""
        wait = await route.limiter.reserve([route.limiter.slot])
        if not route.channel.paces_at_wire:
            await asyncio.sleep(wait)
            return await route.channel.send(recipient, message)
        with wire.deadline(time.monotonic() + wait if wait > 0 else None):
            return await route.channel.send(recipient, message)

    async def _retry_later(self, route: _Route, outcome: RetryLater) -> Outcome:
        """A provider's "slow down" pauses that provider only, not the channel: the batch
        then backs off as after any transient failure, and its retry may go elsewhere."""
        reason = f"{route.name}: {outcome.reason}"
        if outcome.after is None:
            return RetryLater(reason)
        await route.limiter.pause(min(outcome.after, defaults.RETRY_MAX_WAIT_SECONDS))
        return RetryLater(reason)
