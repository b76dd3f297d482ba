"""Each recipient's delivery state per notice and channel, and the counters read from it.

One hash per notice and channel maps member id → state:

    w:<run>      on the wire: claimed by a batch run right before its send
    s[:<id>]     sent (with the provider's message id, e.g. Telegram's, for replies)
    f:<reason>   failed permanently
    k:<reason>   skipped (member gone or unsubscribed before it was their turn)

A recipient is claimed immediately before its send and recorded right after, both by
scripts that refuse to overwrite a final state. A job that runs again (retry, dead worker)
therefore skips everyone already sent, and re-sends only recipients left on the wire by a
run that is gone — exactly the sends in flight when it died; those are counted as
``reclaimed``. Each run keeps a short-lived key (``ll:run:<token>``) alive while it works, so
two runs of the same batch at once (a job queued twice, a lease lapsed during a Redis
outage) never take each other's recipients: the second finds them BUSY and leaves them.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import cast

import redis
import redis.asyncio as aioredis

from lifeline.ratelimit import RESERVE_FUNCTIONS, Slot
from lifeline.store import keys

Done = tuple[int | str, str, str]
"""A finished recipient to record: member id, outcome (sent/failed/skipped), detail."""

FRESH, RECLAIMED, DONE, BUSY = 0, 1, 2, 3
"""What a claim found: nobody had it (or this run has it), a dead run left it on the wire,
already final, another live run has it on the wire."""

RUN_TTL_SECONDS = 15
"""How long a batch run's key lives without being renewed."""

_LUA_FUNCTIONS = """
-- K: deliveries, counts, reasons, failed list, per-second outcomes (KEYS[1..5]).
local function on_wire(state) return string.sub(state, 1, 1) == 'w' end
-- Whether another run that is still alive has this state on the wire.
local function held(state, run)
  local owner = string.sub(state, 3)
  return owner ~= '' and owner ~= run and redis.call('EXISTS', 'RUNPREFIX' .. owner) == 1
end
-- 0 fresh (now on the wire for this run), 1 reclaimed (a dead run left it on the wire),
-- 2 final, 3 busy (another live run has it on the wire).
local function claim(member, run)
  local state = redis.call('HGET', KEYS[1], member)
  if not state then redis.call('HSET', KEYS[1], member, 'w:' .. run); return 0 end
  if not on_wire(state) then return 2 end
  if state == 'w:' .. run then return 0 end
  if held(state, run) then return 3 end
  redis.call('HSET', KEYS[1], member, 'w:' .. run)
  redis.call('HINCRBY', KEYS[2], 'reclaimed', 1)
  return 1
end
-- outcome: sent | failed | skipped. 0 if the state was already final.
local function record(member, outcome, detail)
  local state = redis.call('HGET', KEYS[1], member)
  if state and not on_wire(state) then return 0 end
  local prefix = {sent = 's', failed = 'f', skipped = 'k'}
  local value = prefix[outcome]
  if detail ~= '' then value = value .. ':' .. detail end
  redis.call('HSET', KEYS[1], member, value)
  redis.call('HINCRBY', KEYS[2], outcome, 1)
  if outcome == 'failed' then
    redis.call('HINCRBY', KEYS[3], detail, 1)
    redis.call('RPUSH', KEYS[4], member)
  end
  if outcome ~= 'skipped' then
    -- Outcomes per second of the Redis clock, for the rate and ETA; a minute is kept.
    local now = tonumber(redis.call('TIME')[1])
    redis.call('HINCRBY', KEYS[5], now, 1)
    redis.call('HDEL', KEYS[5], now - 61, now - 62)
  end
  return 1
end
"""

_LUA_FUNCTIONS = _LUA_FUNCTIONS.replace("RUNPREFIX", keys.run(""))

_LUA_CLAIM = _LUA_FUNCTIONS + "return claim(ARGV[1], ARGV[2])"

_LUA_RECORD = _LUA_FUNCTIONS + "return record(ARGV[1], ARGV[2], ARGV[3])"

_LUA_STEP = (
    _LUA_FUNCTIONS
    + RESERVE_FUNCTIONS
    + """
-- KEYS[6..]: limiter slots. ARGV: done member ('' none), its outcome, detail,
-- next member ('' none), run token, then each slot's interval and lead (µs) from ARGV[6].
-- Records one recipient's outcome, claims the next one and reserves its send slots.
local recorded, claimed, wait = -1, -1, 0
if ARGV[1] ~= '' then recorded = record(ARGV[1], ARGV[2], ARGV[3]) end
if ARGV[4] ~= '' then
  claimed = claim(ARGV[4], ARGV[5])
  if claimed <= 1 and #KEYS > 5 then
    local now = clock()
    for i = 6, #KEYS do
      local at = 6 + 2 * (i - 6)
      wait = math.max(wait, reserve(KEYS[i], tonumber(ARGV[at]), tonumber(ARGV[at + 1]), now))
    end
  end
end
return {recorded, claimed, string.format('%.0f', wait)}
"""
)

_LUA_SKIP = (
    _LUA_FUNCTIONS
    + """
-- KEYS: deliveries, counts. ARGV: reason, run token, member ids. Skips every id without a
-- final state, except those another live run has on the wire (it records them itself).
local n = 0
for i = 3, #ARGV do
  local state = redis.call('HGET', KEYS[1], ARGV[i])
  if not state or (on_wire(state) and not held(state, ARGV[2])) then
    redis.call('HSET', KEYS[1], ARGV[i], 'k:' .. ARGV[1])
    n = n + 1
  end
end
if n > 0 then redis.call('HINCRBY', KEYS[2], 'skipped', n) end
return n
"""
)


@dataclass(frozen=True, slots=True)
class ChannelProgress:
    """Where delivery of one notice on one channel stands."""

    total: int
    sent: int
    failed: int
    skipped: int
    reclaimed: int
    retried: int
    rate: float = 0.0
    """Outcomes (sent or failed) per second over the last minute."""

    @property
    def pending(self) -> int:
        """Recipients not yet sent, failed or skipped."""
        return max(0, self.total - self.sent - self.failed - self.skipped)

    @property
    def eta_seconds(self) -> float | None:
        """When the last pending recipient will have it at the current rate (None: unknown)."""
        if self.pending == 0:
            return 0.0
        return round(self.pending / self.rate, 1) if self.rate > 0 else None


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
        self._keys = [
            keys.deliveries(tenant_id, notice_id, kind),
            keys.counts(tenant_id, notice_id, kind),
            keys.failure_reasons(tenant_id, notice_id, kind),
            keys.failed_list(tenant_id, notice_id, kind),
            keys.outcome_rate(tenant_id, notice_id, kind),
        ]
        self._claim = client.register_script(_LUA_CLAIM)
        self._record = client.register_script(_LUA_RECORD)
        self._skip = client.register_script(_LUA_SKIP)
        self._step = client.register_script(_LUA_STEP)

    async def unfinished(self, member_ids: list[int]) -> list[int]:
        """The ids among these that have no final state yet (one round trip)."""
        if not member_ids:
            return []
        states = await self.redis.hmget(self._keys[0], [str(m) for m in member_ids])
        return [m for m, s in zip(member_ids, states, strict=True) if s is None or s[0] == "w"]

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Keep this run's key alive (renewed every third of its TTL) while the block runs."""
        key = keys.run(self.run)
        await self.redis.set(key, "1", ex=RUN_TTL_SECONDS)

        async def renew() -> None:
            while True:
                await asyncio.sleep(RUN_TTL_SECONDS / 3)
                await self.redis.set(key, "1", ex=RUN_TTL_SECONDS)

        renewing = asyncio.create_task(renew())
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            await self.redis.delete(key)

    async def claim(self, member_id: int) -> int:
        """Mark a recipient as on the wire; FRESH or RECLAIMED (send), DONE or BUSY (don't)."""
        return int(await self._claim(keys=self._keys, args=[member_id, self.run]))

    async def record(self, member_id: int, outcome: str, detail: str = "") -> bool:
        """Record ``sent``/``failed``/``skipped``; False if it was already final."""
        return bool(await self._record(keys=self._keys, args=[member_id, outcome, _clean(detail)]))

    async def step(
        self,
        *,
        done: Done | None,
        claim: int | None,
        slots: Sequence[Slot] = (),
    ) -> tuple[bool, int | None, float]:
        """Record a finished recipient, claim the next one and reserve its send slots.

        One round trip per delivery: what a batch lane does between two sends. Returns
        whether ``done`` was recorded (False: already final), the claim's FRESH /
        RECLAIMED / DONE / BUSY (None without a claim) and the seconds to wait for the
        slots (reserved only for FRESH and RECLAIMED).
        """
        member, outcome, detail = done or ("", "", "")
        reply = await self._step(
            keys=[*self._keys, *(key for key, _, _ in slots)],
            args=[
                member,
                outcome,
                _clean(detail),
                "" if claim is None else claim,
                self.run,
                *(value for _, interval, lead in slots for value in (interval, lead)),
            ],
        )
        recorded, claimed, wait_us = int(reply[0]), int(reply[1]), int(reply[2])
        return recorded == 1, None if claimed < 0 else claimed, wait_us / 1_000_000

    async def skip(self, member_ids: list[int], reason: str) -> int:
        """Mark every one of these without a final state as skipped; how many were."""
        if not member_ids:
            return 0
        return int(await self._skip(keys=self._keys, args=[reason, self.run, *member_ids]))

    async def count_retry(self, n: int = 1) -> None:
        """Count transient failures that were retried (for the operator's eyes)."""
        await self.redis.hincrby(self._keys[1], "retried", n)


def _clean(detail: str) -> str:
    """A provider's reason as stored: one line, bounded."""
    return detail.replace("\n", " ")[:300]


def set_total(client: redis.Redis, tenant_id: str, notice_id: int, kind: str, total: int) -> None:
    """How many recipients the planner found on a channel (so far)."""
    client.hset(keys.counts(tenant_id, notice_id, kind), "total", total)


def progress(
    client: redis.Redis, tenant_id: str, notice_id: int, kinds: tuple[str, ...]
) -> dict[str, ChannelProgress]:
    """Counters of every channel of a notice, in one round trip."""
    pipe = client.pipeline(transaction=False)
    pipe.time()
    for kind in kinds:
        pipe.hgetall(keys.counts(tenant_id, notice_id, kind))
        pipe.hgetall(keys.outcome_rate(tenant_id, notice_id, kind))
    now, *replies = pipe.execute()
    result = {}
    for index, kind in enumerate(kinds):
        fields, per_second = replies[2 * index], replies[2 * index + 1]
        counters = {k: int(v) for k, v in cast(dict[str, str], fields).items()}
        result[kind] = ChannelProgress(
            rate=_rate(cast(dict[str, str], per_second), int(now[0])),
            total=counters.get("total", 0),
            sent=counters.get("sent", 0),
            failed=counters.get("failed", 0),
            skipped=counters.get("skipped", 0),
            reclaimed=counters.get("reclaimed", 0),
            retried=counters.get("retried", 0),
        )
    return result


def _rate(per_second: dict[str, str], now: int) -> float:
    """Outcomes per second over the last minute, or since the first outcome if later."""
    recent = {int(s): int(n) for s, n in per_second.items() if now - 60 < int(s) <= now}
    if not recent:
        return 0.0
    return round(sum(recent.values()) / (now - min(recent) + 1), 2)


def failed_recipients(
    client: redis.Redis, tenant_id: str, notice_id: int, kind: str, offset: int, limit: int
) -> list[tuple[int, str]]:
    """(member id, reason) of failed recipients in the order they failed, one page."""
    ids = cast(
        list[str],
        client.lrange(keys.failed_list(tenant_id, notice_id, kind), offset, offset + limit - 1),
    )
    if not ids:
        return []
    states = cast(list[str | None], client.hmget(keys.deliveries(tenant_id, notice_id, kind), ids))
    return [(int(m), (s or "f:").partition(":")[2]) for m, s in zip(ids, states, strict=True)]


def sent_to(
    client: redis.Redis, tenant_id: str, notice_id: int, kind: str, *, chunk: int = 5000
) -> Iterator[tuple[int, str]]:
    """(member id, provider message id or "") of everyone a notice was sent to on a channel."""
    key = keys.deliveries(tenant_id, notice_id, kind)
    cursor = 0
    while True:
        cursor, fields = cast(tuple[int, dict[str, str]], client.hscan(key, cursor, count=chunk))
        for member_id, state in fields.items():
            if state == "s" or state.startswith("s:"):
                yield int(member_id), state[2:]
        if cursor == 0:
            return


def failure_reasons(
    client: redis.Redis, tenant_id: str, notice_id: int, kind: str
) -> dict[str, int]:
    """Failed recipients of one channel grouped by the provider's reason."""
    raw = cast(dict[str, str], client.hgetall(keys.failure_reasons(tenant_id, notice_id, kind)))
    return {reason: int(n) for reason, n in raw.items()}


def state_of(
    client: redis.Redis, tenant_id: str, notice_id: int, kind: str, member_id: int
) -> str | None:
    """One recipient's raw state (tests, support questions)."""
    key = keys.deliveries(tenant_id, notice_id, kind)
    return cast(str | None, client.hget(key, str(member_id)))
