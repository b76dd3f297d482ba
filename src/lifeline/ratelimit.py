"""Rate limits shared by every worker on every machine, kept in Redis.

Generic cell rate algorithm (GCRA) with no burst: each send reserves the next free slot of
its tenant's channel, slots ``1 / rate`` apart, and sleeps until its slot comes. One round
trip per send, no polling, and Redis's own clock (``TIME``) orders slots across machines.

Slots are spaced a little wider than ``1 / rate`` (``defaults.RATE_HEADROOM``): the network
and the event loop delay some sends more than others, and the provider counts arrivals,
not reservations. For the same reason channels wait for their slot at the wire, once
connected (``channels.wire``), and an idle limiter's first slot lies ``RATE_LEAD_US`` ahead:
a send due "now" on a cold connection would arrive late and bunch with the next ones.

A provider's ``retry_after`` moves the channel's next slot past the pause, so everyone
sending on that channel waits, not only the batch that was told.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import redis.asyncio as aioredis

from lifeline import defaults
from lifeline.store import keys

RESERVE_FUNCTIONS = """
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
-- Reserve the next slot of a limiter; µs from now until it comes. The first slot of a
-- limiter idle for a second (its key expired) lies `lead` µs ahead, so that send has time
-- to connect before it is due; a limiter in use hands out "now" when it is not saturated.
local function reserve(key, interval, lead, now)
  local stored = redis.call('GET', key)
  local tat = tonumber(stored or '0')
  if not stored then tat = now + lead elseif tat < now then tat = now end
  local ttl = math.ceil((tat + interval - now) / 1000) + 1000
  redis.call('SET', key, string.format('%.0f', tat + interval), 'PX', ttl)
  return tat - now
end
"""
"""Lua functions ``clock()`` and ``reserve(key, interval_us, lead_us, now)``, for scripts
that take a slot together with other bookkeeping in one round trip (see ``store.deliveries``)."""

_LUA_RESERVE = (
    RESERVE_FUNCTIONS
    + """
-- KEYS: limiter. ARGV: slot interval, lead (µs). Returns µs to wait until the reserved slot.
return string.format('%.0f', reserve(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), clock()))
"""
)

_LUA_PAUSE = """
-- KEYS: limiter. ARGV: pause (µs). No slot is handed out before now + pause.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local resume = now + tonumber(ARGV[1])
if resume > tat then
  local ttl = math.ceil(tonumber(ARGV[1]) / 1000) + 1000
  redis.call('SET', KEYS[1], string.format('%.0f', resume), 'PX', ttl)
end
return 1
"""


Slot = tuple[str, int, int]
"""A limiter's key, its slot interval and an idle limiter's lead, both in µs: what a
combined script reserves."""


class RateLimiter:
    """Paces one tenant's sends on one channel, across processes and machines."""

    def __init__(
        self, client: aioredis.Redis, tenant_id: str, kind: str, rate_per_second: float
    ) -> None:
        self.key = keys.rate_limit(tenant_id, kind)
        self.interval_us = round(1_000_000 / (rate_per_second * defaults.RATE_HEADROOM))
        self._reserve = client.register_script(_LUA_RESERVE)
        self._pause = client.register_script(_LUA_PAUSE)

    @property
    def slot(self) -> Slot:
        """This limiter as a slot to reserve inside another script."""
        return (self.key, self.interval_us, defaults.RATE_LEAD_US)

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
        return (keys.rate_limit(self.tenant_id, f"chat:{chat_id}"), 1_000_000, 0)
