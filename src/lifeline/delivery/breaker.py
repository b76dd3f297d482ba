"""A circuit breaker per provider of a channel with several, kept in Redis so that every
worker on every host sees the same state and moves off a failing provider together.

    closed ──(K transient failures in a row, or ≥ N sends in the window and a share ≥ X
    │         of them transient)──► open ──(cool-down over)──► half-open
    ▲                                                               │ one probe send
    └──────────────── the probe got an answer ◄─────────────────────┤ (a lease in Redis)
                      the probe failed again ──► open (a new cool-down)

Only transient failures count against a provider (``RetryLater``: 5xx, 429, timeouts,
dropped connections); a permanent ``Failed`` (an invalid number) is an answer, so it counts
as a send that worked. The window is counted in slices (``BREAKER_BUCKETS``), so a provider's
breaker is one hash of a fixed size::

    ll:t:<tenant>:breaker:<kind>:<provider>    state, cool-down, probe lease, counters

Scripts: ``lua/breaker.lua`` (shared functions), ``lua/pick.lua``, ``lua/outcome.lua``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

import redis
import redis.asyncio as aioredis

from lifeline.channels import Delivered, Failed, Outcome
from lifeline.channels.base import BreakerConfig
from lifeline.core import defaults
from lifeline.db import keys, scripts

State = Literal["closed", "open", "half_open"]

CLOSED, PROBE, FORCED = 1, 2, 3
"""How ``pick`` chose: the provider's breaker is closed; it is half-open and this send is
its probe; every breaker is open and the first provider sends anyway."""


def breaker_key(tenant_id: str, kind: str, provider: str) -> str:
    """The breaker of one provider of a tenant's channel."""
    return f"{keys.tenant(tenant_id)}breaker:{kind}:{provider}"


@dataclass(frozen=True, slots=True)
class Pick:
    """The provider to send through next (its index in the channel's order) and how."""

    index: int
    how: int

    @property
    def probe(self) -> bool:
        return self.how == PROBE


class Breakers:
    """The breakers of one tenant's channel, in the order its providers are tried."""

    def __init__(
        self,
        client: aioredis.Redis,
        tenant_id: str,
        kind: str,
        providers: Sequence[tuple[str, BreakerConfig]],
    ) -> None:
        self.keys = [breaker_key(tenant_id, kind, name) for name, _ in providers]
        self.configs = [config for _, config in providers]
        self._pick = scripts.load(client, __package__, "breaker.lua", "pick.lua")
        self._outcome = scripts.load(client, __package__, "breaker.lua", "outcome.lua")

    async def pick(self, avoid: int | None = None) -> Pick:
        """The first provider whose breaker admits a send, passing over ``avoid`` (the one
        that just failed this recipient) unless nothing else does; takes the probe's
        lease when the one chosen is half-open. When every breaker is open the first
        provider sends anyway (``FORCED``): see ``failover``."""
        probe_us = round(defaults.BREAKER_PROBE_SECONDS * 1_000_000)
        index, how = await self._pick(keys=self.keys, args=[-1 if avoid is None else avoid,
                                                            probe_us])  # fmt: skip
        return Pick(int(index), int(how))

    async def record(self, pick: Pick, outcome: Outcome) -> str:
        """Count a send's outcome against its provider; the breaker's state after it."""
        result = (
            "ok"
            if isinstance(outcome, Delivered)
            else "permanent"
            if isinstance(outcome, Failed)
            else "transient"
        )
        config = self.configs[pick.index]
        state = await self._outcome(
            keys=[self.keys[pick.index]],
            args=[
                result,
                "1" if pick.probe else "0",
                config.window_seconds * 1_000_000,
                defaults.BREAKER_BUCKETS,
                config.min_attempts,
                config.error_share,
                config.failure_streak,
                round(config.cooldown_seconds * 1_000_000),
            ],
        )
        return str(state)


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """What /readyz and /metrics show of one provider."""

    name: str
    state: State
    sent: int
    """Sends it accepted."""
    retried: int
    """Sends that failed transiently (each was tried again, maybe elsewhere)."""
    failed: int
    """Sends it refused for good (an invalid number …)."""
    opened: int
    """How often its breaker opened."""


def health(
    client: redis.Redis, tenant_id: str, kind: str, names: Sequence[str]
) -> list[ProviderHealth]:
    """The state and counts of each named provider of a tenant's channel (one round trip)."""
    pipe = client.pipeline(transaction=False)
    pipe.time()
    for name in names:
        pipe.hgetall(breaker_key(tenant_id, kind, name))
    clock, *hashes = cast(list[object], pipe.execute())
    seconds, micros = cast(tuple[int, int], clock)
    now = int(seconds) * 1_000_000 + int(micros)
    return [_health(name, cast(dict[str, str], fields), now)
            for name, fields in zip(names, hashes, strict=True)]  # fmt: skip


def _health(name: str, fields: dict[str, str], now: int) -> ProviderHealth:
    state: State = "closed"
    if fields.get("state") == "open":
        state = "open" if now < int(fields.get("until") or 0) else "half_open"
    return ProviderHealth(
        name=name,
        state=state,
        sent=int(fields.get("sent") or 0),
        retried=int(fields.get("retry") or 0),
        failed=int(fields.get("failed") or 0),
        opened=int(fields.get("opened") or 0),
    )
