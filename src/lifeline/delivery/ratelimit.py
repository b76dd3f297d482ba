"""Rate limits shared by every worker on every machine, kept in Redis.

Generic cell rate algorithm (GCRA) with no burst: each send reserves the next free slot of
its tenant's channel, slots ``1 / rate`` apart, and sleeps until its slot comes. One round
trip per send, no polling, and Redis's own clock (``TIME``) orders slots across machines.

Slots are spaced a little wider than ``1 / rate`` (``RATE_HEADROOM``): the network
and the event loop delay some sends more than others, and the provider counts arrivals,
not reservations. For the same reason channels wait for their slot at the wire, once
connected (``channels.wire``), and an idle limiter's first slot lies ``RATE_LEAD_US`` ahead:
a send due "now" on a cold connection would arrive late and bunch with the next ones.

A provider's ``retry_after`` moves the channel's next slot past the pause, so everyone
sending on that channel waits, not only the batch that was told.

    ll:t:<tenant>:rl:<kind>        next free slot of a tenant's channel (µs, Redis clock)
    ll:t:<tenant>:rl:chat:<chat>   the same for one Telegram chat

The scripts are ``lua/limiter.lua`` (``clock``; ``reserve_in`` and ``reserved``, which the
ledger's ``steps`` shares; ``reserve``, one slot of them), ``lua/reserve.lua`` and
``lua/pause.lua``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import redis.asyncio as aioredis

from lifeline.core import defaults
from lifeline.db import keys, scripts


def limiter_key(tenant_id: str, scope: str) -> str:
    """Next free send slot (µs, Redis clock) of a tenant's channel or of one chat."""
    return f"{keys.tenant(tenant_id)}rl:{scope}"


Slot = tuple[str, int, int]
"""A limiter's key, its slot interval and an idle limiter's lead, both in µs: what a
combined script reserves."""


class RateLimiter:
    """Paces one tenant's sends on one channel, across processes and machines."""

    def __init__(
        self, client: aioredis.Redis, tenant_id: str, kind: str, rate_per_second: float
    ) -> None:
        self.key = limiter_key(tenant_id, kind)
        self.interval_us = round(1_000_000 / (rate_per_second * defaults.RATE_HEADROOM))
        self._reserve = scripts.load(client, __package__, "limiter.lua", "reserve.lua")
        self._pause = scripts.load(client, __package__, "pause.lua")

    @property
    def slot(self) -> Slot:
        """This limiter as a slot to reserve inside another script."""
        return (self.key, self.interval_us, defaults.RATE_LEAD_US)

    def due(self, wait: float) -> float:
        """How long a send must still wait for a slot ``wait`` seconds away: none when it is
        less than ``SLOT_EARLY_SECONDS`` away on a channel whose slots lie closer than that."""
        early = defaults.SLOT_EARLY_SECONDS
        return 0.0 if wait < early and self.interval_us < early * 1_000_000 else wait

    async def acquire(self) -> None:
        """Wait for this send's slot."""
        key, interval, lead = self.slot
        wait_us = int(await self._reserve(keys=[key], args=[interval, lead]))
        if wait_us > 0:
            await asyncio.sleep(wait_us / 1_000_000)

    async def reserve(self, slots: Sequence[Slot]) -> float:
        """Reserve a slot of each limiter (this one's, a chat's …); seconds until all come."""
        waits = [
            int(await self._reserve(keys=[key], args=[interval, lead]))
            for key, interval, lead in slots
        ]
        return max(waits, default=0) / 1_000_000

    async def pause(self, seconds: float) -> None:
        """Hand out no slot for ``seconds`` (a provider said retry_after)."""
        await self._pause(keys=[self.key], args=[round(seconds * 1_000_000)])


class ChatPacer:
    """At most one message a second to one Telegram chat, as Telegram asks."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id

    def slot(self, chat_id: str) -> Slot:
        """One chat's limiter as a slot to reserve inside another script.

        No lead: a chat's first message may arrive late without harm, since nothing else
        is due to that chat within the next second. (With a lead, every first message of a
        broadcast, one per member, would wait for it.)
        """
        return (limiter_key(self.tenant_id, f"chat:{chat_id}"), 1_000_000, 0)
