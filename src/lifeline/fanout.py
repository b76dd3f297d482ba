"""Fan-out on RQ: one planning job per notice, then batch jobs per channel.

    POST /v1/notices → plan_notice (queue lifeline:plan)
        walks the subscriber sets of the notice's topics, per channel, in chunks
        → deliver_batch × ⌈recipients / batch_size⌉ (queues lifeline:telegram|email|sms)
            render per language, send with bounded concurrency, record every outcome

Both are plain module-level functions taking ids, safe to run again: the planner re-enqueues
the same deterministic job ids, and a batch skips everyone already recorded (see
``store.deliveries``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from rq import Queue, Retry

from lifeline import defaults, notices, runtime, templates
from lifeline.channels import Channel, Delivered, Failed, Kind, Message, Recipient
from lifeline.config import TenantConfig, WorkerConfig
from lifeline.notices import Notice
from lifeline.ratelimit import ChatPacer, RateLimiter
from lifeline.schemas import NoticeIn
from lifeline.store import deliveries, keys
from lifeline.store.deliveries import DONE, RECLAIMED, DeliveryLedger
from lifeline.store.members import Member, MemberStore
from lifeline.store.notices import NoticeStore

log = logging.getLogger(__name__)

JOB_RETRY = Retry(max=defaults.JOB_RETRIES, interval=[5, 30, 120])


def queue_name(kind: str) -> str:
    """The RQ queue of a channel kind."""
    return f"{defaults.QUEUE_PREFIX}{kind}"


def publish(
    *,
    tenant: TenantConfig,
    body: NoticeIn,
    store: NoticeStore,
    plan_queue: Queue,
    idempotency_key: str | None = None,
) -> tuple[Notice, bool]:
    """Check, store and queue a notice for planning; ``created`` is False for a replay.

    A replay (same Idempotency-Key and body) returns the first notice and sends nothing,
    unless that first request died before its planning job was queued.
    """
    doc = notices.prepare(tenant, body)
    notice, created = store.create(
        tenant.id,
        doc,
        idempotency_key=idempotency_key,
        fingerprint=notices.fingerprint(body.model_dump(mode="json")),
    )
    if created or store.field(tenant.id, notice.id, "plan") is None:
        enqueue_plan(plan_queue, tenant.id, notice)
        # Only if absent: a fast worker may already have marked it planning or done.
        store.mark_once(tenant.id, notice.id, "plan", "queued")
    return notice, created


def enqueue_plan(queue: Queue, tenant_id: str, notice: Notice) -> None:
    """Queue the planning job of a notice (idempotent: its job id is the notice's)."""
    queue.enqueue_call(
        plan_notice,
        args=(tenant_id, notice.id),
        job_id=f"ll-plan-{tenant_id}-{notice.id}",
        timeout=defaults.JOB_TIMEOUT_SECONDS,
        result_ttl=3600,
        failure_ttl=7 * 86400,
        retry=JOB_RETRY,
        at_front=notice.severity == "critical",
        description=f"plan notice {notice.id} of {tenant_id}",
    )


def plan_notice(tenant_id: str, notice_id: int) -> dict[str, int]:
    """Enqueue batch jobs for every subscriber of the notice's topics on each channel."""
    rt = runtime.current()
    tenant = rt.settings.tenant(tenant_id)
    store = NoticeStore(rt.redis)
    notice = store.get(tenant_id, notice_id)
    if tenant is None:
        log.error("notice %s: tenant %s is no longer configured; not planned", notice_id, tenant_id)
        return {}
    store.mark(tenant_id, notice_id, plan="planning")
    offered = tenant.channels.configured()
    totals: dict[str, int] = {}
    for kind in notice.channels:
        if kind not in offered:
            continue
        totals[kind] = _plan_channel(rt, tenant_id, notice, kind, rt.settings.worker.batch_size)
    store.mark(tenant_id, notice_id, plan="done", planned_at=str(time.time()))
    log.info("notice %s of %s planned: %s", notice_id, tenant_id, totals)
    return totals


def _plan_channel(
    rt: runtime.Runtime, tenant_id: str, notice: Notice, kind: str, batch_size: int
) -> int:
    queue = Queue(queue_name(kind), connection=rt.rq_redis)
    total = 0
    pending: list[Any] = []
    for index, member_ids in enumerate(_batches(rt, tenant_id, notice, kind, batch_size)):
        pending.append(
            Queue.prepare_data(
                deliver_batch,
                args=(tenant_id, notice.id, kind, member_ids),
                job_id=f"ll-{tenant_id}-{notice.id}-{kind}-{index}",
                timeout=defaults.JOB_TIMEOUT_SECONDS,
                result_ttl=600,
                failure_ttl=7 * 86400,
                retry=JOB_RETRY,
                at_front=notice.severity == "critical",
                description=f"notice {notice.id} of {tenant_id}: {kind} batch {index}",
            )
        )
        total += len(member_ids)
        if len(pending) >= 100:
            _flush(queue, pending, rt, tenant_id, notice.id, kind, total)
    _flush(queue, pending, rt, tenant_id, notice.id, kind, total)
    return total


def _flush(
    queue: Queue,
    pending: list[Any],
    rt: runtime.Runtime,
    tenant_id: str,
    notice_id: int,
    kind: str,
    total: int,
) -> None:
    # The total is written before the jobs, so a fast worker never sees sent > total.
    deliveries.set_total(rt.redis, tenant_id, notice_id, kind, total)
    if pending:
        with rt.rq_redis.pipeline() as pipe:
            queue.enqueue_many(pending, pipeline=pipe)
            pipe.execute()
        pending.clear()


def _batches(
    rt: runtime.Runtime, tenant_id: str, notice: Notice, kind: str, size: int
) -> Iterator[list[int]]:
    """Member ids following any of the notice's topics on this channel, each once."""
    seen: set[int] | None = set() if len(notice.topics) > 1 else None
    batch: list[int] = []
    for topic in notice.topics:
        key = keys.subscribers(tenant_id, kind, topic)
        cursor = 0
        while True:
            cursor, chunk = rt.redis.sscan(key, cursor, count=defaults.PLAN_CHUNK)
            for raw in chunk:
                member_id = int(raw)
                if seen is not None:
                    if member_id in seen:
                        continue
                    seen.add(member_id)
                batch.append(member_id)
                if len(batch) >= size:
                    yield batch
                    batch = []
            if cursor == 0:
                break
    if batch:
        yield batch


async def deliver_batch(
    tenant_id: str, notice_id: int, kind: Kind, member_ids: list[int]
) -> dict[str, int]:
    """Send one notice to these members on one channel and record each outcome."""
    rt = runtime.current()
    tenant = rt.settings.tenant(tenant_id)
    notice = NoticeStore(rt.redis).get(tenant_id, notice_id)
    provider = tenant.channels.configured().get(kind) if tenant else None
    client = aioredis.Redis.from_url(rt.settings.redis.url, decode_responses=True)
    try:
        ledger = DeliveryLedger(client, tenant_id, notice_id, kind)
        todo = await ledger.unfinished(member_ids)
        if tenant is None or provider is None or notice.status != "active":
            reason = "notice no longer active" if tenant and provider else "channel not configured"
            return await _skip_all(ledger, todo, reason)
        members = MemberStore(rt.redis).get_many(tenant_id, todo)
        batch = _Batch(
            tenant=tenant,
            notice=notice,
            kind=kind,
            ledger=ledger,
            members=MemberStore(rt.redis),
            worker=rt.settings.worker,
            limiter=RateLimiter(client, tenant_id, kind, provider.rate_per_second),
            chats=ChatPacer(client, tenant_id) if kind == "telegram" else None,
        )
        async with provider.create(kind=kind, tenant_id=tenant_id) as channel:
            return await batch.run(channel, [(mid, members.get(mid)) for mid in todo])
    finally:
        await client.aclose()


async def _skip_all(ledger: DeliveryLedger, member_ids: list[int], reason: str) -> dict[str, int]:
    for member_id in member_ids:
        if await ledger.claim(member_id) != DONE:
            await ledger.record(member_id, "skipped", reason)
    return {"skipped": len(member_ids)}


@dataclass
class _Batch:
    """One batch job's work: concurrency, retries and bookkeeping around a channel."""

    tenant: TenantConfig
    notice: Notice
    kind: Kind
    ledger: DeliveryLedger
    members: MemberStore
    worker: WorkerConfig
    limiter: RateLimiter
    chats: ChatPacer | None

    def __post_init__(self) -> None:
        self.counts = {"sent": 0, "failed": 0, "skipped": 0, "reclaimed": 0}
        self._messages: dict[str, Message] = {}

    async def run(self, channel: Channel, todo: list[tuple[int, Member | None]]) -> dict[str, int]:
        """Work through the recipients with ``worker.concurrency`` sends in flight."""
        pending = iter(todo)

        async def lane() -> None:
            for member_id, member in pending:
                await self._deliver(channel, member_id, member)

        await asyncio.gather(*(lane() for _ in range(self.worker.concurrency)))
        return self.counts

    async def _deliver(self, channel: Channel, member_id: int, member: Member | None) -> None:
        address = member.address(self.kind) if member else None
        claim = await self.ledger.claim(member_id)
        if claim == DONE:
            return
        if claim == RECLAIMED:
            self.counts["reclaimed"] += 1
        if member is None or address is None:
            reason = "member deleted" if member is None else "unsubscribed from this channel"
            await self._finish(member_id, "skipped", reason)
            return
        recipient = Recipient(member_id=member_id, address=address, language=member.language)
        await self._send_with_retries(channel, recipient, self._message(member.language))

    async def _send_with_retries(
        self, channel: Channel, recipient: Recipient, message: Message
    ) -> None:
        for attempt in range(1, self.worker.max_attempts + 1):
            await self.limiter.acquire()
            if self.chats is not None:
                await self.chats.acquire(recipient.address)
            outcome = await channel.send(recipient, message)
            if isinstance(outcome, Delivered):
                await self._finish(recipient.member_id, "sent", outcome.provider_id or "")
                return
            if isinstance(outcome, Failed):
                await self._finish(recipient.member_id, "failed", outcome.reason)
                if outcome.unsubscribe:
                    self.members.pause(self.tenant.id, recipient.member_id, self.kind)
                return
            if attempt == self.worker.max_attempts:
                await self._finish(
                    recipient.member_id,
                    "failed",
                    f"gave up after {attempt} attempts: {outcome.reason}",
                )
                return
            await self.ledger.count_retry()
            if outcome.after is not None:
                # The provider's pause holds for every sender of this channel: the
                # limiter hands out no slot before it ends, so the next acquire waits.
                await self.limiter.pause(min(outcome.after, defaults.RETRY_MAX_WAIT_SECONDS))
            else:
                await asyncio.sleep(self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        base = self.worker.retry_base_seconds * 2 ** (attempt - 1)
        # Full jitter keeps many recipients that failed together from retrying together.
        return min(random.uniform(0, base), defaults.RETRY_MAX_WAIT_SECONDS)

    async def _finish(self, member_id: int, outcome: str, detail: str) -> None:
        if await self.ledger.record(member_id, outcome, detail):
            self.counts[outcome] += 1

    def _message(self, language: str) -> Message:
        if language not in self._messages:
            self._messages[language] = templates.render(
                self.tenant, self.notice, self.kind, language
            )
        return self._messages[language]
