"""Each recipient's delivery state per notice and channel, as one batch run writes it.

One hash per notice and channel maps member id → state:

    w:<run>      on the wire: claimed by a batch run right before its send
    s[:<id>]     sent (with the provider's message id, e.g. Telegram's, for replies)
    f:<reason>   failed permanently
    k:<reason>   skipped (member gone or unsubscribed before it was their turn)
    d[:<id>]     sent, and the provider reported it delivered (``receipts``)
    u:<reason>   sent, and the provider reported it undeliverable (``receipts``)

On channels with delivery receipts (email, SMS) the script that records a send also
indexes its provider id under the day (``records.receipts_key``), so that a receipt finds
its notice and member without another round trip per send.

A recipient is claimed immediately before its send and recorded right after, both by
scripts (``lua/ledger.lua``) that refuse to overwrite a final state. A job that runs again
(retry, dead worker) therefore skips everyone already sent, and re-sends only recipients
left on the wire by a run that is gone — exactly the sends in flight when it died; those are
counted as ``reclaimed``. Each run keeps itself alive in the channel's ``runs`` hash while
it works, so two runs of the same batch at once (a job queued twice, a lease lapsed during
a Redis outage) never take each other's recipients: the second finds them BUSY and leaves
them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aioredis

from lifeline.core import defaults
from lifeline.db import scripts
from lifeline.delivery.ratelimit import Slot
from lifeline.delivery.records import DAY_SECONDS, RECEIPT_KINDS, ledger_keys, receipts_key

Done = tuple[int | str, str, str]
"""A finished recipient to record: member id, outcome (sent/failed/skipped), detail."""

StepResult = tuple[bool, int | None, float]
"""What a step did: whether its done recipient was recorded (False: already final), its
claim's FRESH / RECLAIMED / DONE / BUSY (None without a claim), seconds to wait for its slots."""


@dataclass(frozen=True, slots=True)
class Step:
    """What a batch lane does between two sends: record one, claim the next, reserve its
    send slots (reserved only when the claim is FRESH or RECLAIMED)."""

    done: Done | None
    claim: int | None
    slots: Sequence[Slot] = ()


FRESH, RECLAIMED, DONE, BUSY = 0, 1, 2, 3
"""What a claim found: nobody had it (or this run has it), a dead run left it on the wire,
already final, another live run has it on the wire."""

_LEDGER = "ledger.lua"
_LIMITER = "limiter.lua"


class DeliveryLedger:
    """One batch run's async view of a notice's deliveries on one channel.

    Use ``async with ledger.running():`` around the run's claims: it keeps the run's key
    alive, so other runs of the same batch leave this run's recipients alone.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        tenant_id: str,
        notice_id: int,
        kind: str,
        *,
        run: str | None = None,
    ) -> None:
        self.redis = client
        self.run = run or uuid.uuid4().hex[:12]
        self._keys = ledger_keys(tenant_id, notice_id, kind)
        self._tenant_id, self._kind = tenant_id, kind
        self._notice = str(notice_id) if kind in RECEIPT_KINDS else ""
        self._days: set[int] = set()
        package = __package__
        self._skip = scripts.load(client, package, _LEDGER, "skip.lua")
        self._steps = scripts.load(client, package, _LEDGER, _LIMITER, "steps.lua")
        self._alive = scripts.load(client, package, "alive.lua")

    async def unfinished(self, member_ids: list[int]) -> list[int]:
        """The ids among these that have no final state yet (one round trip)."""
        if not member_ids:
            return []
        states = await self.redis.hmget(self._keys[0], [str(m) for m in member_ids])
        return [m for m, s in zip(member_ids, states, strict=True) if s is None or s[0] == "w"]

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Keep this run alive (renewed every third of its TTL) while the block runs."""
        runs = self._keys[5]
        ttl_us = defaults.RUN_TTL_SECONDS * 1_000_000
        await self._alive(keys=[runs], args=[self.run, ttl_us])

        async def renew() -> None:
            while True:
                await asyncio.sleep(defaults.RUN_TTL_SECONDS / 3)
                await self._alive(keys=[runs], args=[self.run, ttl_us])

        renewing = asyncio.create_task(renew())
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await self.redis.hdel(runs, self.run)

    async def claim(self, member_id: int) -> int:
        """Mark a recipient as on the wire; FRESH or RECLAIMED (send), DONE or BUSY (don't)."""
        claimed = (await self.steps([Step(None, member_id)]))[0][1]
        assert claimed is not None  # a step with a claim reports what it found
        return claimed

    async def record(self, member_id: int, outcome: str, detail: str = "") -> bool:
        """Record ``sent``/``failed``/``skipped``; False if it was already final."""
        return (await self.steps([Step((member_id, outcome, detail), None)]))[0][0]

    async def steps(self, steps: Sequence[Step]) -> list[StepResult]:
        """Record finished recipients, claim the next ones and reserve their send slots, in
        one round trip, applied in this order (a batch lane's, see ``steps``).

        One result per step: whether its ``done`` was recorded (False: already final), its
        claim's FRESH / RECLAIMED / DONE / BUSY (None without a claim) and the seconds to
        wait for its slots (reserved only for FRESH and RECLAIMED).
        """
        limiters: dict[str, int] = {}
        keys = self._recording_keys()
        packed: list[list[object]] = []
        for step in steps:
            member, outcome, detail = step.done or ("", "", "")
            slots = [
                [limiters.setdefault(key, len(keys) + len(limiters) + 1), interval, lead]
                for key, interval, lead in step.slots
            ]
            claim = "" if step.claim is None else str(step.claim)
            packed.append([str(member), outcome, _clean(detail), claim, slots])
        reply = await self._steps(
            keys=[*keys, *limiters], args=[self.run, self._notice, json.dumps(packed)]
        )
        return [
            (reply[i] == 1, None if reply[i + 1] < 0 else int(reply[i + 1]), reply[i + 2] / 1e6)
            for i in range(0, len(reply), 3)
        ]

    async def skip(self, member_ids: list[int], reason: str) -> int:
        """Mark every one of these without a final state as skipped; how many were."""
        if not member_ids:
            return 0
        return int(await self._skip(keys=self._keys, args=[reason, self.run, *member_ids]))

    async def retain(self, seconds: int) -> None:
        """Let the records naming members (states, failed list) go ``seconds`` after now;
        counters and reasons stay (they name nobody). The receipt index of each day this
        ledger wrote to goes ``seconds`` after that day ends: no entry outlives its send's
        records by more than a day, none goes before them."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.expire(self._keys[0], seconds)
            pipe.expire(self._keys[3], seconds)
            for day in sorted(self._days):
                key = receipts_key(self._tenant_id, self._kind, day)
                pipe.expireat(key, (day + 1) * DAY_SECONDS + seconds)
            await pipe.execute()

    async def count_retry(self, n: int = 1) -> None:
        """Count transient failures that were retried (for the operator's eyes)."""
        await self.redis.hincrby(self._keys[1], "retried", n)

    def _recording_keys(self) -> list[str]:
        """The ledger's keys and the receipt index of today (on this worker's clock; a
        receipt looks a day either side)."""
        day = int(time.time()) // DAY_SECONDS
        if self._notice:
            self._days.add(day)
        return [*self._keys, receipts_key(self._tenant_id, self._kind, day)]


def _clean(detail: str) -> str:
    """A provider's reason as stored: one line, bounded."""
    return detail.replace("\n", " ")[:300]
