"""A notice's delivery records per channel, as the API, the planner and follow-ups read them.

Under the notice's keys (``ll:t:<tenant>:n:<id>:…``), per channel kind:

    d:<kind>    hash member id → state (see ``ledger``): the truth of who got what
    c:<kind>    counters: total, sent, failed, skipped, reclaimed, retried
    r:<kind>    failure reason → how many failed with it
    fl:<kind>   failed member ids, in the order they failed (paging through failures)
    ps:<kind>   second → outcomes in that second, for the last minute (rate and ETA)
    runs:<kind> run token → until when it is alive (µs); batch runs of this channel
    bc          language → message id of the notice's post in the broadcast channel

and per tenant and channel with delivery receipts (email, SMS), one hash per day (UTC):

    ll:t:<tenant>:rx:<kind>:<day>   provider message id → "<notice id>:<member id>"

Batch runs write them through ``DeliveryLedger`` (``ledger``), receipts through
``receipts``; everything here reads, except the planner's total and the broadcast's post ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import cast

import redis

from lifeline.db import keys

RECEIPT_KINDS = frozenset({"email", "sms"})
"""Channels whose providers report delivery after the send (Telegram's answer is final)."""

DAY_SECONDS = 86400


def receipts_key(tenant_id: str, kind: str, day: int) -> str:
    """Hash provider id → "<notice>:<member>" of one day's sends (day: Unix time // 86400)."""
    return f"{keys.tenant(tenant_id)}rx:{kind}:{day}"


def _notice(tenant_id: str, notice_id: int) -> str:
    return f"{keys.tenant(tenant_id)}n:{notice_id}"


def deliveries_key(tenant_id: str, notice_id: int, kind: str) -> str:
    """Hash member id → delivery state of one notice on one channel."""
    return f"{_notice(tenant_id, notice_id)}:d:{kind}"


def counts_key(tenant_id: str, notice_id: int, kind: str) -> str:
    """Hash of the counters of one channel."""
    return f"{_notice(tenant_id, notice_id)}:c:{kind}"


def reasons_key(tenant_id: str, notice_id: int, kind: str) -> str:
    """Hash failure reason → how many recipients failed with it."""
    return f"{_notice(tenant_id, notice_id)}:r:{kind}"


def ledger_keys(tenant_id: str, notice_id: int, kind: str) -> list[str]:
    """The seven keys of one channel's ledger, in the order its scripts take them."""
    base = _notice(tenant_id, notice_id)
    return [
        deliveries_key(tenant_id, notice_id, kind),
        counts_key(tenant_id, notice_id, kind),
        reasons_key(tenant_id, notice_id, kind),
        f"{base}:fl:{kind}",
        f"{base}:ps:{kind}",
        f"{base}:runs:{kind}",
        totals_key(tenant_id, kind),
    ]


def totals_key(tenant_id: str, kind: str) -> str:
    """Outcome → count of a tenant's channel over all notices, for ``/metrics`` (never
    expires: a counter only grows)."""
    return f"{keys.tenant(tenant_id)}metrics:{kind}"


def totals(client: redis.Redis, tenant_kinds: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """The outcome counters of each (tenant, channel), in one round trip."""
    pipe = client.pipeline(transaction=False)
    for tenant_id, kind in tenant_kinds:
        pipe.hgetall(totals_key(tenant_id, kind))
    return cast(list[dict[str, str]], pipe.execute())


def _broadcast(tenant_id: str, notice_id: int) -> str:
    return f"{_notice(tenant_id, notice_id)}:bc"


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
    delivered: int = 0
    """Of those sent: the provider reported them delivered (email, SMS receipts)."""
    undeliverable: int = 0
    """Of those sent: the provider reported they could not be delivered."""

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


def set_total(client: redis.Redis, tenant_id: str, notice_id: int, kind: str, total: int) -> None:
    """How many recipients the planner found on a channel (so far)."""
    client.hset(counts_key(tenant_id, notice_id, kind), "total", total)


def progress(
    client: redis.Redis, tenant_id: str, notice_id: int, kinds: tuple[str, ...]
) -> dict[str, ChannelProgress]:
    """Counters of every channel of a notice, in one round trip."""
    pipe = client.pipeline(transaction=False)
    pipe.time()
    for kind in kinds:
        pipe.hgetall(counts_key(tenant_id, notice_id, kind))
        pipe.hgetall(ledger_keys(tenant_id, notice_id, kind)[4])
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
            delivered=counters.get("delivered", 0),
            undeliverable=counters.get("undeliverable", 0),
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
        client.lrange(ledger_keys(tenant_id, notice_id, kind)[3], offset, offset + limit - 1),
    )
    if not ids:
        return []
    states = cast(list[str | None], client.hmget(deliveries_key(tenant_id, notice_id, kind), ids))
    return [(int(m), (s or "f:").partition(":")[2]) for m, s in zip(ids, states, strict=True)]


def sent_to(
    client: redis.Redis, tenant_id: str, notice_id: int, kind: str, *, chunk: int = 5000
) -> Iterator[tuple[int, str]]:
    """(member id, provider message id or "") of everyone a notice was sent to on a channel
    (``s``), delivered to included (``d``); not those the provider reported undeliverable
    (``u``): their address did not take the notice, so its updates do not go there either."""
    key = deliveries_key(tenant_id, notice_id, kind)
    cursor = 0
    while True:
        cursor, fields = cast(tuple[int, dict[str, str]], client.hscan(key, cursor, count=chunk))
        for member_id, state in fields.items():
            if _reached(state):
                yield int(member_id), state[2:]
        if cursor == 0:
            return


def failure_reasons(
    client: redis.Redis, tenant_id: str, notice_id: int, kind: str
) -> dict[str, int]:
    """Failed recipients of one channel grouped by the provider's reason."""
    raw = cast(dict[str, str], client.hgetall(reasons_key(tenant_id, notice_id, kind)))
    return {reason: int(n) for reason, n in raw.items()}


def state_of(
    client: redis.Redis, tenant_id: str, notice_id: int, kind: str, member_id: int
) -> str | None:
    """One recipient's raw state (tests, support questions)."""
    key = deliveries_key(tenant_id, notice_id, kind)
    return cast(str | None, client.hget(key, str(member_id)))


def message_ids(
    client: redis.Redis, tenant_id: str, notice_id: int, kind: str, member_ids: Sequence[int]
) -> dict[int, str]:
    """The provider message id each of these members was sent a notice as (if any)."""
    if not member_ids:
        return {}
    states = client.hmget(deliveries_key(tenant_id, notice_id, kind), [str(m) for m in member_ids])
    return {
        member_id: state[2:]
        for member_id, state in zip(member_ids, states, strict=True)
        if isinstance(state, str) and _reached(state) and len(state) > 2
    }


def _reached(state: str) -> bool:
    """Sent, and not reported undeliverable: ``s``, ``s:<id>``, ``d``, ``d:<id>``."""
    return state[:1] in ("s", "d") and (len(state) == 1 or state[1] == ":")


def broadcast_posts(client: redis.Redis, tenant_id: str, notice_id: int) -> dict[str, str]:
    """Language → message id of a notice's posts in the tenant's broadcast channel."""
    return cast(dict[str, str], client.hgetall(_broadcast(tenant_id, notice_id)))


def record_broadcast_post(
    client: redis.Redis, tenant_id: str, notice_id: int, language: str, message_id: str
) -> None:
    """Remember that a notice was posted to the broadcast channel in one language."""
    client.hset(_broadcast(tenant_id, notice_id), language, message_id)


def member_states(
    client: redis.Redis,
    tenant_id: str,
    notice_kinds: Sequence[tuple[int, str]],
    member_id: int,
) -> list[str | None]:
    """One member's raw state for each (notice, channel), in one round trip."""
    pipe = client.pipeline(transaction=False)
    for notice_id, kind in notice_kinds:
        pipe.hget(deliveries_key(tenant_id, notice_id, kind), str(member_id))
    return cast(list[str | None], pipe.execute())
