"""Batch jobs: send one notice to a few hundred members on one channel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import redis
from rq import Queue, get_current_job

from lifeline import messages
from lifeline.access import signing
from lifeline.access.signing import UNSUBSCRIBE
from lifeline.channels import Channel, Delivered, Failed, Message, Recipient, wire
from lifeline.config import TenantConfig, WebConfig, WorkerConfig
from lifeline.core import defaults
from lifeline.core.vocabulary import ChannelKind
from lifeline.db import connect_async
from lifeline.delivery import acks, context, failover, kept, metrics, records
from lifeline.delivery.context import WorkerContext
from lifeline.delivery.ledger import BUSY, DONE, RECLAIMED, DeliveryLedger, Done, Step
from lifeline.delivery.metrics import BatchMetrics
from lifeline.delivery.queues import job_options, queue_name
from lifeline.delivery.ratelimit import ChatPacer, RateLimiter, Slot
from lifeline.delivery.steps import lane_sizes, take
from lifeline.members import batches as member_batches
from lifeline.members.batches import MemberIds
from lifeline.members.model import Reach
from lifeline.members.store import MemberStore
from lifeline.messages import TemplateFailure
from lifeline.notices.model import Notice
from lifeline.notices.store import NoticeStore
from lifeline.pages import PageLinks

log = logging.getLogger(__name__)


async def deliver_batch(
    tenant_id: str, notice_id: int, kind: ChannelKind, recipients: MemberIds
) -> dict[str, int]:
    """Send one notice to these members on one channel and record each outcome."""
    member_ids = member_batches.member_ids(recipients)  # a list, or a bitmap slice (planned)
    rt = context.current()
    tenant = rt.settings.tenant(tenant_id)
    providers = tenant.channels.providers(kind) if tenant else []
    provider = providers[0][1] if providers else None
    worker_loop = kept.here()  # a worker's loop keeps client and channels for the next job
    url = rt.settings.redis.url
    client = await worker_loop.redis(url) if worker_loop else connect_async(url)
    ledger = DeliveryLedger(client, tenant_id, notice_id, kind)
    retention = rt.settings.worker.delivery_retention_days * 86400
    try:
        todo = await ledger.unfinished(member_ids)
        notices = NoticeStore(rt.redis)
        notice = notices.get(tenant_id, notice_id)
        stopped = _why_not(notices, notice)
        if tenant is None or provider is None or stopped:
            skipped = await ledger.skip(todo, stopped or "channel no longer configured")
            return {"skipped": skipped}
        batch = _Batch(
            tenant=tenant,
            notice=notice,
            kind=kind,
            ledger=ledger,
            notices=notices,
            members=MemberStore(rt.redis),
            worker=rt.settings.worker,
            limiter=RateLimiter(client, tenant_id, kind, failover.channel_rate(providers)),
            chats=ChatPacer(tenant_id) if kind == "telegram" else None,
            unsubscribe=_unsubscribe_links(rt.settings.web, tenant_id, kind),
            ack=acks.links(rt.settings.web, notice, kind),
        )
        members = batch.members.reach(tenant_id, todo, kind)
        replies = _replies_to(rt, notice, kind, todo)
        work = [(mid, members.get(mid), replies.get(mid)) for mid in todo]
        async with ledger.running(), kept.channel(client, tenant_id, kind, providers) as channel:
            counts = await batch.run(channel, work)
        metrics.record_batch(rt.redis, notices, notice, kind, batch.metrics, counts)
        return counts
    finally:
        with contextlib.suppress(redis.RedisError):  # the next batch of the notice sets it too
            await ledger.retain(retention)
        if worker_loop is None:
            await client.aclose()


def _why_not(notices: NoticeStore, current: Notice) -> str | None:
    """Why a notice's messages must not go out any more (None: they may), from the notice
    as just read."""
    if current.status != "active":
        return f"notice {current.status} before delivery"
    if current.stage == "update" and current.parent_id is not None:
        parent = notices.get(current.tenant_id, current.parent_id)
        if parent.status != "active":
            return f"notice {parent.status} before delivery"
    return None


def _replies_to(
    rt: WorkerContext, notice: Notice, kind: str, member_ids: list[int]
) -> dict[int, str]:
    """For a follow-up on Telegram: the message id each member got the notice as."""
    if notice.parent_id is None or kind != "telegram":
        return {}
    return records.message_ids(rt.redis, notice.tenant_id, notice.parent_id, kind, member_ids)


Work = tuple[int, Reach | None, str | None]
"""A recipient's member id, how they are reached (None if deleted) and the message it
replies to."""


@dataclass
class _Batch:
    """One batch job's work: concurrency, retries and bookkeeping around a channel."""

    tenant: TenantConfig
    notice: Notice
    kind: ChannelKind
    ledger: DeliveryLedger
    notices: NoticeStore
    members: MemberStore
    worker: WorkerConfig
    limiter: RateLimiter
    chats: ChatPacer | None
    unsubscribe: Callable[[int], str | None]
    ack: Callable[[int], str | None]
    metrics: BatchMetrics = field(default_factory=BatchMetrics)
    counts: dict[str, int] = field(
        default_factory=lambda: {"sent": 0, "failed": 0, "skipped": 0, "reclaimed": 0}
    )

    def __post_init__(self) -> None:
        self._messages: dict[str, Message | TemplateFailure] = {}
        self._checked_at = time.monotonic()
        self._stop_reason: str | None = None
        self._busy: list[Work] = []

    async def run(self, channel: Channel, todo: list[Work]) -> dict[str, int]:
        """Work through the recipients with ``worker.concurrency`` sends in flight.

        Each lane looks before every claim whether to stop: the notice was resolved or
        expired (the rest is skipped), or the worker is shutting down (the rest is queued
        again as a continuation job, for any worker).
        """
        # Render up front: a template compiled mid-batch would stall the event loop past
        # other lanes' send slots, and late sends bunch up at the provider.
        for language in {member.language for _, member, _ in todo if member is not None}:
            self._message(language)
        left: list[Work] = []
        while todo and not left:
            left = await self._pass(channel, todo)
            # Recipients another run had on the wire: wait until it records them or its
            # key lapses (it died), then look again.
            todo, self._busy = self._busy, []
            if todo:
                await asyncio.sleep(defaults.BUSY_RECHECK_SECONDS)
        if left:
            await self._leave(left)
        return self.counts

    async def _pass(self, channel: Channel, todo: list[Work]) -> list[Work]:
        """One pass over these recipients; those left when a stop was asked for.

        ``concurrency`` sends in flight, in lanes of up to ``CLAIMS_PER_STEP``: a lane
        records its last sends and claims its next recipients in one step, then sends to
        them (each at its own rate-limit slot) and waits for all of them before the next:
        an outcome is recorded once the slowest send of its lane is done (a retry's
        backoff delays its lane's records, never another lane's sends).
        """
        pending = iter(todo)
        left: list[Work] = []

        async def lane(size: int) -> None:
            done: list[Done] = []
            while True:
                claims = take(pending, size, left, self._should_stop)
                if not claims and not done:
                    return
                done = await self._step(channel, done, claims)

        await asyncio.gather(
            *(lane(size) for size in lane_sizes(self.worker.concurrency, self.limiter.interval_us))
        )
        return left

    async def _step(self, channel: Channel, done: list[Done], claims: list[Work]) -> list[Done]:
        """Record a lane's finished sends, claim its next recipients and send to them; what
        to record next.

        Recording, claiming and reserving rate-limit slots is one script call
        (``DeliveryLedger.steps``); claims still come right before their sends and outcomes
        are recorded right after the lane's sends, before anything else.
        """
        slots = [self._slots_of(member) for _, member, _ in claims]
        steps = [
            Step(
                done[i] if i < len(done) else None,
                claims[i][0] if i < len(claims) else None,
                slots[i] if i < len(claims) else (),
            )
            for i in range(max(len(done), len(claims)))
        ]
        results = await self.ledger.steps(steps)
        for previous, (recorded, _, _) in zip(done, results, strict=False):
            self.counts[previous[1]] += recorded
        sent = await asyncio.gather(
            *(
                self._deliver(channel, claim, wait, *work)
                for work, (_, claim, wait) in zip(claims, results, strict=False)
            )
        )
        return [outcome for outcome in sent if outcome is not None]

    def _slots_of(self, member: Reach | None) -> list[Slot]:
        address = member.address if member else None
        return self._slots(address) if address else []

    def _should_stop(self) -> bool:
        if context.stop_requested():
            return True
        now = time.monotonic()
        if self._stop_reason is None and now - self._checked_at >= defaults.STATUS_CHECK_SECONDS:
            self._checked_at = now
            current = self.notices.get(self.notice.tenant_id, self.notice.id)
            self._stop_reason = _why_not(self.notices, current)
        return self._stop_reason is not None

    async def _leave(self, left: list[Work]) -> None:
        ids = [member_id for member_id, _, _ in left]
        if self._stop_reason is not None:
            self.counts["skipped"] += await self.ledger.skip(ids, self._stop_reason)
            return
        _continue_later(self.notice, self.kind, ids)

    async def _deliver(
        self,
        channel: Channel,
        claim: int | None,
        wait: float,
        member_id: int,
        member: Reach | None,
        reply_to: str | None,
    ) -> Done | None:
        """Send to one claimed recipient once its slot comes (``wait`` seconds from the
        claim); what to record (None: nothing, the claim found it final or busy)."""
        address = member.address if member else None
        if claim == DONE:
            return None
        if claim == BUSY:
            self._busy.append((member_id, member, reply_to))  # another live run has it
            return None
        if claim == RECLAIMED:
            self.counts["reclaimed"] += 1
        if member is None or address is None:
            reason = "member deleted" if member is None else "unsubscribed from this channel"
            return (member_id, "skipped", reason)
        recipient = Recipient(
            member_id=member_id,
            address=address,
            language=member.language,
            unsubscribe_url=self.unsubscribe(member_id),
            ack_url=self.ack(member_id),
        )
        message = self._message(member.language)
        if isinstance(message, TemplateFailure):
            return (member_id, "failed", str(message))
        message = replace(message, reply_to=reply_to) if reply_to else message
        wait = self.limiter.due(wait)
        self.metrics.rate_wait += wait
        if wait > 0 and not channel.paces_at_wire:
            await asyncio.sleep(wait)
        elif wait > 0:  # a send due now needs none: each is a task that starts without one
            with wire.deadline(time.monotonic() + wait):
                return await self._send_with_retries(channel, recipient, message)
        return await self._send_with_retries(channel, recipient, message)

    def _slots(self, address: str) -> list[Slot]:
        slots = [self.limiter.slot]
        if self.chats is not None:
            slots.append(self.chats.slot(address))
        return slots

    async def _send_with_retries(
        self, channel: Channel, recipient: Recipient, message: Message
    ) -> Done:
        """Send, retrying transient failures; the outcome to record. The first attempt's
        slot was reserved with the claim; every retry waits for a slot of its own."""
        member_id = recipient.member_id
        for attempt in range(1, self.worker.max_attempts + 1):
            if attempt > 1:
                await self._retry_slot(channel, recipient.address)
            started = time.monotonic()
            outcome = await channel.send(recipient, message)
            self.metrics.latencies.append(time.monotonic() - started)
            if isinstance(outcome, Delivered):
                return (member_id, "sent", outcome.provider_id or "")
            if isinstance(outcome, Failed):
                if outcome.unsubscribe:
                    self.members.pause(self.tenant.id, member_id, self.kind)
                return (member_id, "failed", outcome.reason)
            if attempt == self.worker.max_attempts:
                return (member_id, "failed", f"gave up after {attempt} attempts: {outcome.reason}")
            await self.ledger.count_retry()
            if outcome.after is not None:
                self.metrics.throttled += 1
                # The provider's pause holds for every sender of this channel: the
                # limiter hands out no slot before it ends, so the next acquire waits.
                await self.limiter.pause(min(outcome.after, defaults.RETRY_MAX_WAIT_SECONDS))
            else:
                await asyncio.sleep(self._backoff(attempt))
        raise AssertionError("unreachable: the last attempt returns")

    async def _retry_slot(self, channel: Channel, address: str) -> None:
        """A retry is a send of its own: it takes fresh slots."""
        wait = await self.limiter.reserve(self._slots(address))
        self.metrics.rate_wait += wait
        if channel.paces_at_wire:
            wire.renew(time.monotonic() + wait)
        else:
            await asyncio.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        base = self.worker.retry_base_seconds * 2 ** (attempt - 1)
        # Full jitter keeps many recipients that failed together from retrying together.
        return min(random.uniform(0, base), defaults.RETRY_MAX_WAIT_SECONDS)

    def _message(self, language: str) -> Message | TemplateFailure:
        """The message in a language, or why the tenant's templates cannot make it (each
        recipient in that language is then recorded as failed with that reason, and the
        notice still completes)."""
        if language not in self._messages:
            try:
                # Every email of the notice links the reader's own "understood" page when
                # links can be made (the first recipient tells: one configuration for all).
                ack = self.kind == "email" and self.ack(0) is not None
                message = messages.render(self.tenant, self.notice, self.kind, language, ack=ack)
                buttons = acks.buttons(self.notice, self.kind, message.language)
                rendered: Message | TemplateFailure = replace(message, buttons=buttons)
            except TemplateFailure as exc:
                log.error("notice %s: %s", self.notice.id, exc)
                rendered = exc
            self._messages[language] = rendered
        return self._messages[language]


def _unsubscribe_links(
    web: WebConfig, tenant_id: str, kind: ChannelKind
) -> Callable[[int], str | None]:
    """Each member's signed one-click link (RFC 8058), for email when the public side is set."""
    if kind != "email" or web.secret is None or not web.base():
        return lambda member_id: None
    secret, links = web.secret.get_secret_value(), PageLinks(tenant_id, web.base())
    return lambda member_id: links.unsubscribe(
        signing.sign(secret, UNSUBSCRIBE, tenant_id, member_id, kind)
    )


def _continue_later(notice: Notice, kind: str, member_ids: list[int]) -> None:
    """Queue the unclaimed rest of a batch again, for whichever worker is still running."""
    rt = context.current()
    current = get_current_job()
    base = current.id if current is not None else f"ll-{notice.tenant_id}-{notice.id}-{kind}"
    job_id = f"{base.split('+')[0]}+{uuid.uuid4().hex[:8]}"
    Queue(queue_name(kind), connection=rt.rq_redis).enqueue_call(
        deliver_batch,
        args=(notice.tenant_id, notice.id, kind, member_ids),
        **job_options(notice, job_id, f"notice {notice.id}: {kind} continuation"),
    )
    log.info("worker stopping: %d recipients of notice %s re-queued", len(member_ids), notice.id)
