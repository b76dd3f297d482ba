"""What ``/metrics`` reports about delivery, kept in Redis so that it is right across any
number of worker processes on any number of hosts (each process's own counters would be
lost with it, and need every worker scraped)::

    ll:t:<tenant>:metrics:<kind>          outcome counters (ledger.lua, exact), and
                                          rate_wait_seconds, provider_throttled
    ll:metrics:h:<name>:<tenant>:<kind>   a histogram: bucket upper bound → count, sum, count

A batch keeps its latencies and waits in memory and adds them when it ends, in one round
trip; a worker killed mid-batch loses those (the delivery counters stay exact: the ledger
script writes them with each outcome).
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

import redis

from lifeline.db import keys
from lifeline.delivery import records
from lifeline.notices.model import Notice
from lifeline.notices.store import NoticeStore

log = logging.getLogger(__name__)

PROVIDER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds of one provider request."""

NOTICE_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 10800.0)
"""Seconds from a notice's post to its first and to its last delivery."""

HISTOGRAMS = {
    "provider_seconds": PROVIDER_BUCKETS,
    "first_delivery_seconds": NOTICE_BUCKETS,
    "last_delivery_seconds": NOTICE_BUCKETS,
}


def histogram_key(name: str, tenant_id: str, kind: str) -> str:
    """The hash of one histogram of a tenant's channel."""
    return keys.global_key(f"metrics:h:{name}:{tenant_id}:{kind}")


@dataclass
class BatchMetrics:
    """What one batch measured, added to Redis when it ends."""

    latencies: list[float] = field(default_factory=list)
    rate_wait: float = 0.0
    throttled: int = 0

    def flush(self, client: redis.Redis, tenant_id: str, kind: str) -> None:
        """Add this batch's measurements (one round trip)."""
        pipe = client.pipeline(transaction=False)
        _observe(pipe, histogram_key("provider_seconds", tenant_id, kind),
                 PROVIDER_BUCKETS, self.latencies)  # fmt: skip
        totals = records.totals_key(tenant_id, kind)
        if self.rate_wait:
            pipe.hincrbyfloat(totals, "rate_wait_seconds", round(self.rate_wait, 6))
        if self.throttled:
            pipe.hincrby(totals, "provider_throttled", self.throttled)
        pipe.execute()


def record_batch(
    client: redis.Redis,
    notices: NoticeStore,
    notice: Notice,
    kind: str,
    measured: BatchMetrics,
    counts: dict[str, int],
) -> None:
    """Add a finished batch's measurements, and the notice's first and last delivery on this
    channel once each (whichever batch gets there first)."""
    tenant_id = notice.tenant_id
    try:
        measured.flush(client, tenant_id, kind)
        now = time.time()
        since = now - notice.created_at.timestamp()
        if counts["sent"] and notices.mark_once(
            tenant_id, notice.id, f"first_sent_at:{kind}", str(now)
        ):
            observe(client, "first_delivery_seconds", tenant_id, kind, since)
        progress = records.progress(client, tenant_id, notice.id, (kind,))[kind]
        planned = notices.field(tenant_id, notice.id, "plan") == "done"
        if (
            planned
            and progress.pending == 0
            and notices.mark_once(tenant_id, notice.id, f"done_at:{kind}", str(now))
        ):
            observe(client, "last_delivery_seconds", tenant_id, kind, since)
    except redis.RedisError as exc:  # measurements must never fail a delivered batch
        log.warning("notice %s: %s measurements not recorded: %s", notice.id, kind, exc)


def observe(client: redis.Redis, name: str, tenant_id: str, kind: str, value: float) -> None:
    """One observation of a histogram."""
    pipe = client.pipeline(transaction=False)
    _observe(pipe, histogram_key(name, tenant_id, kind), HISTOGRAMS[name], [value])
    pipe.execute()


def _observe(
    pipe: redis.client.Pipeline, key: str, buckets: Sequence[float], values: Iterable[float]
) -> None:
    counts: dict[str, int] = {}
    total = 0.0
    n = 0
    for value in values:
        index = bisect.bisect_left(buckets, value)
        bound = str(buckets[index]) if index < len(buckets) else "+Inf"
        counts[bound] = counts.get(bound, 0) + 1
        total += value
        n += 1
    if not n:
        return
    for bound, count in counts.items():
        pipe.hincrby(key, bound, count)
    pipe.hincrbyfloat(key, "sum", round(total, 6))
    pipe.hincrby(key, "count", n)


def read_histograms(
    client: redis.Redis, name: str, tenant_kinds: Sequence[tuple[str, str]]
) -> list[dict[str, str]]:
    """The raw hashes of one histogram for each (tenant, channel)."""
    pipe = client.pipeline(transaction=False)
    for tenant_id, kind in tenant_kinds:
        pipe.hgetall(histogram_key(name, tenant_id, kind))
    return cast(list[dict[str, str]], pipe.execute())
