"""The cascade: a member who has not acknowledged a notice on one channel in time, or whose
message there failed, gets it on the next channel of the notice's cascade they have.

    plan_notice ─enqueue_in(after_seconds)─► cascade_step(tenant, notice, step=1)
        source = order[step - 1]: wait until its delivery has finished (looking again
        every CASCADE_RECHECK_SECONDS), then until after_seconds have passed since, so
        the member sent last has them all too; then walk its delivery records:
            sent or delivered and not acknowledged, failed, undeliverable
            → the first later channel of ``order`` the member has (address set, not
              paused) that the notice has not been sent to them on
        ─► deliver_batch on that channel (its ledger's claim keeps it once per channel)
        ─► cascade_step(…, step + 1) while ``order`` goes on

Nothing is moved once the notice is resolved or expired. Each step's moves are recorded
(``n:<id>:cz:<step>``, member → channel) before its batches are queued, by one script that
also counts them: a step that runs again moves nobody twice and queues the same members
again, whose batches skip everyone already sent.

Keys (beside the notice's delivery records): ``n:<id>:cascade`` hash ``from:<channel>`` /
``to:<channel>`` → members moved, ``settled:<step>`` / ``done:<step>`` → unix time.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

import redis
from rq import Queue

from lifeline.acknowledgements import AckStore
from lifeline.config import TenantConfig
from lifeline.core import defaults
from lifeline.core.vocabulary import CHANNEL_KINDS, ChannelKind
from lifeline.db import keys, scripts
from lifeline.delivery import context, records
from lifeline.delivery.batch import deliver_batch
from lifeline.delivery.context import WorkerContext
from lifeline.delivery.queues import JOB_RETRY, job_options, queue_name
from lifeline.members.model import Member
from lifeline.members.store import MemberStore
from lifeline.notices.cascade import CascadePlan
from lifeline.notices.model import Notice
from lifeline.notices.store import NoticeStore

log = logging.getLogger(__name__)

MOVABLE = ("s", "d", "f", "u")
"""Delivery states whose members the cascade takes on: sent, delivered (both only when not
acknowledged), failed, undeliverable. Skipped members (gone, unsubscribed) are not."""


def cascade_key(tenant_id: str, notice_id: int) -> str:
    """Hash of a notice's cascade counters and step times."""
    return f"{keys.tenant(tenant_id)}n:{notice_id}:cascade"


def moved_key(tenant_id: str, notice_id: int, step: int) -> str:
    """Hash member id → the channel one cascade step moved the member to."""
    return f"{keys.tenant(tenant_id)}n:{notice_id}:cz:{step}"


@dataclass(frozen=True, slots=True)
class CascadeCounts:
    """How far a notice's cascade is: members moved from and to each channel."""

    moved_from: dict[str, int]
    moved_to: dict[str, int]
    steps_done: int


def counts(client: redis.Redis, tenant_id: str, notice_id: int) -> CascadeCounts:
    """The cascade's counters as ``GET /v1/notices/{id}`` shows them."""
    raw = cast(dict[str, str], client.hgetall(cascade_key(tenant_id, notice_id)))
    return CascadeCounts(
        moved_from={k: int(raw.get(f"from:{k}", 0)) for k in CHANNEL_KINDS},
        moved_to={k: int(raw.get(f"to:{k}", 0)) for k in CHANNEL_KINDS},
        steps_done=sum(1 for name in raw if name.startswith("done:")),
    )


def schedule(rq_redis: redis.Redis, notice: Notice, step: int, seconds: float) -> None:
    """Run a cascade step of the notice in ``seconds`` (RQ's scheduler, in every worker)."""
    Queue(defaults.QUEUE_PLAN, connection=rq_redis).enqueue_in(
        timedelta(seconds=max(0.0, seconds)),
        cascade_step,
        notice.tenant_id,
        notice.id,
        step,
        job_id=f"ll-cascade-{notice.tenant_id}-{notice.id}-{step}-{uuid.uuid4().hex[:8]}",
        result_ttl=defaults.JOB_RESULT_TTL_SECONDS,
        retry=JOB_RETRY,
        description=f"notice {notice.id}: cascade step {step}",
    )


def cascade_step(tenant_id: str, notice_id: int, step: int) -> dict[str, int]:
    """Move the members of ``order[step - 1]`` who have not acknowledged in time on to
    their next channel, once that channel's delivery has finished ``after_seconds`` ago."""
    rt = context.current()
    store = NoticeStore(rt.redis)
    notice = store.get(tenant_id, notice_id)
    tenant = rt.settings.tenant(tenant_id)
    plan = notice.cascade
    if tenant is None or plan is None or not 1 <= step < len(plan.order):
        return {}
    if notice.status != "active":
        log.info("notice %s %s: cascade step %d not run", notice_id, notice.status, step)
        return {}
    source = plan.order[step - 1]
    finished = _finished_at(rt.redis, store, notice, source, step)
    now = time.time()
    if finished is None:
        schedule(rt.rq_redis, notice, step, defaults.CASCADE_RECHECK_SECONDS)
        return {"waiting": 1}
    if now < finished + plan.after_seconds:
        schedule(rt.rq_redis, notice, step, finished + plan.after_seconds - now)
        return {"waiting": 1}
    moved = _move(rt, tenant, notice, plan, step)
    queued = _queue_moved(rt, notice, step)
    if step + 1 < len(plan.order):
        schedule(rt.rq_redis, notice, step + 1, defaults.CASCADE_RECHECK_SECONDS)
    rt.redis.hset(cascade_key(tenant_id, notice_id), f"done:{step}", str(now))
    log.info("notice %s: cascade step %d moved %d from %s", notice_id, step, moved, source)
    return {"moved": moved, "queued": queued}


def _finished_at(
    client: redis.Redis, store: NoticeStore, notice: Notice, source: str, step: int
) -> float | None:
    """When the delivery on ``source`` finished (None: not yet): planned, nobody pending.

    A channel nobody was sent the notice on finished at once (0: its step moves nobody and
    hands on without waiting). One the cascade sent nobody to finished when its batches
    marked it so (``done_at:<channel>``); one it did, the first time a step saw it done.
    """
    if store.field(notice.tenant_id, notice.id, "plan") != "done":
        return None
    progress = records.progress(client, notice.tenant_id, notice.id, (source,))[source]
    if progress.total == 0:
        return 0.0
    if progress.pending > 0:
        return None
    key = cascade_key(notice.tenant_id, notice.id)
    done_at = store.field(notice.tenant_id, notice.id, f"done_at:{source}")
    if done_at and not client.hget(key, f"to:{source}"):
        return float(done_at)
    client.hsetnx(key, f"settled:{step}", str(time.time()))
    return float(cast(str, client.hget(key, f"settled:{step}")))


def _move(
    rt: WorkerContext, tenant: TenantConfig, notice: Notice, plan: CascadePlan, step: int
) -> int:
    """Record where each member of the step's channel goes next; how many were moved.

    Whoever acknowledged the notice, on any channel, stays where they are.
    """
    source = plan.order[step - 1]
    offered = tenant.channels.configured()
    later = [k for k in plan.order[step:] if k in offered]
    members, acks = MemberStore(rt.redis), AckStore(rt.redis)
    moved = 0
    for chunk in _movable(rt.redis, notice, source):
        done = acks.acknowledged(notice.tenant_id, notice.id, [m for m, _ in chunk])
        todo = [m for m, _ in chunk if m not in done]
        found = members.get_many(notice.tenant_id, todo)
        sent = _states(rt.redis, notice, later, todo)
        targets = {m: _next_channel(found.get(m), later, sent, m) for m in todo}
        moves = {m: kind for m, kind in targets.items() if kind is not None}
        moved += _record_moves(rt, notice, step, source, moves)
    return moved


def _record_moves(
    rt: WorkerContext, notice: Notice, step: int, source: str, moves: dict[int, ChannelKind]
) -> int:
    """Record members moved on (each once per step) and count them; how many were new."""
    if not moves:
        return 0
    script = scripts.load(rt.redis, __package__, "cascade.lua")
    pairs = [value for m, kind in moves.items() for value in (m, CHANNEL_KINDS.index(kind) + 1)]
    counters = [records.counts_key(notice.tenant_id, notice.id, k) for k in CHANNEL_KINDS]
    keep = rt.settings.worker.delivery_retention_days * 86400
    return int(
        script(
            keys=[
                moved_key(notice.tenant_id, notice.id, step),
                cascade_key(notice.tenant_id, notice.id),
                *counters,
            ],
            args=[source, keep, *CHANNEL_KINDS, *pairs],
        )
    )


def _movable(client: redis.Redis, notice: Notice, source: str) -> Iterator[list[tuple[int, str]]]:
    """(member id, state) of the source channel's records the cascade may move, in chunks."""
    key = records.deliveries_key(notice.tenant_id, notice.id, source)
    cursor = 0
    while True:
        cursor, fields = cast(
            tuple[int, dict[str, str]], client.hscan(key, cursor, count=defaults.BATCH_SIZE)
        )
        chunk = [(int(m), s) for m, s in fields.items() if s[:1] in MOVABLE]
        if chunk:
            yield chunk
        if cursor == 0:
            return


def _states(
    client: redis.Redis, notice: Notice, kinds: list[ChannelKind], member_ids: list[int]
) -> dict[ChannelKind, set[int]]:
    """Per channel: those of these members the notice has a record of there already."""
    if not member_ids:
        return {}
    pipe = client.pipeline(transaction=False)
    for kind in kinds:
        key = records.deliveries_key(notice.tenant_id, notice.id, kind)
        pipe.hmget(key, [str(m) for m in member_ids])
    found: dict[ChannelKind, set[int]] = {}
    for kind, states in zip(kinds, pipe.execute(), strict=True):
        found[kind] = {m for m, s in zip(member_ids, states, strict=True) if s is not None}
    return found


def _next_channel(
    member: Member | None,
    kinds: list[ChannelKind],
    sent: dict[ChannelKind, set[int]],
    member_id: int,
) -> ChannelKind | None:
    """The first of these channels the member has and was not sent the notice on."""
    if member is None:
        return None
    for kind in kinds:
        if member.address(kind) is not None and member_id not in sent.get(kind, set()):
            return kind
    return None


def _queue_moved(rt: WorkerContext, notice: Notice, step: int) -> int:
    """Queue batches for everyone this step moved (again, when the step runs again)."""
    key = moved_key(notice.tenant_id, notice.id, step)
    size = rt.settings.worker.batch_size
    pending: dict[str, list[int]] = defaultdict(list)
    index, queued, cursor = 0, 0, 0

    def flush(kind: str) -> None:
        nonlocal index, queued
        batch, pending[kind] = pending[kind], []
        if not batch:
            return
        job_id = f"ll-{notice.tenant_id}-{notice.id}-{kind}-c{step}-{index}"
        Queue(queue_name(kind), connection=rt.rq_redis).enqueue_call(
            deliver_batch,
            args=(notice.tenant_id, notice.id, kind, batch),
            **job_options(notice, job_id, f"notice {notice.id}: {kind} cascade {step}.{index}"),
        )
        index, queued = index + 1, queued + len(batch)

    while True:
        cursor, fields = cast(tuple[int, dict[str, str]], rt.redis.hscan(key, cursor, count=size))
        for member_id, kind in fields.items():
            pending[kind].append(int(member_id))
            if len(pending[kind]) >= size:
                flush(kind)
        if cursor == 0:
            break
    for kind in list(pending):
        flush(kind)
    return queued
