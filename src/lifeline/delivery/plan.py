"""Planning: turn one notice into batch jobs on the channel queues."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any

from rq import Queue

from lifeline.core import defaults
from lifeline.delivery import cascade, context, records
from lifeline.delivery.batch import deliver_batch
from lifeline.delivery.broadcast import broadcast_target, post_broadcast
from lifeline.delivery.context import WorkerContext
from lifeline.delivery.queues import job_options, queue_name
from lifeline.delivery.status_export import export_after_change
from lifeline.members.batches import MemberIds
from lifeline.members.store import MemberStore
from lifeline.notices.model import Notice
from lifeline.notices.store import NoticeStore

log = logging.getLogger(__name__)

FOLLOWUP_WAIT = timedelta(seconds=defaults.FOLLOWUP_WAIT_SECONDS)


def enqueue_plan(queue: Queue, tenant_id: str, notice: Notice) -> None:
    """Queue the planning job of a notice (idempotent: its job id is the notice's)."""
    queue.enqueue_call(
        plan_notice,
        args=(tenant_id, notice.id),
        **job_options(notice, f"ll-plan-{tenant_id}-{notice.id}", f"plan notice {notice.id}"),
    )


def recover_unplanned(
    rt: WorkerContext, *, window_seconds: int = defaults.RECOVER_WINDOW_SECONDS
) -> list[int]:
    """Queue planning again for recent notices (and follow-ups) that never got it."""
    store = NoticeStore(rt.redis)
    queue = Queue(defaults.QUEUE_PLAN, connection=rt.rq_redis)
    now_ms = time.time() * 1000
    recovered = []
    for tenant in rt.settings.tenants:
        recent = store.created_between(
            tenant.id,
            now_ms - window_seconds * 1000,
            now_ms - defaults.RECOVER_AFTER_SECONDS * 1000,
        )
        for notice in store.unplanned(tenant.id, recent):
            if notice.approval not in (None, "approved"):
                continue  # waits for a second person: planned when approved
            enqueue_plan(queue, tenant.id, notice)
            store.mark_once(tenant.id, notice.id, "plan", "queued")
            recovered.append(notice.id)
    if recovered:
        log.warning("queued planning again for notices that had lost it: %s", recovered)
    return recovered


def plan_notice(tenant_id: str, notice_id: int) -> dict[str, int]:
    """Enqueue batch jobs for everyone the notice is for, on each of its channels."""
    rt = context.current()
    tenant = rt.settings.tenant(tenant_id)
    store = NoticeStore(rt.redis)
    notice = store.get(tenant_id, notice_id)
    if tenant is None:
        log.error("notice %s: tenant %s is no longer configured; not planned", notice_id, tenant_id)
        return {}
    if notice.approval not in (None, "approved"):
        log.error("notice %s is %s: not planned", notice_id, notice.status)
        return {}
    if store.field(tenant_id, notice_id, "plan") != "waiting":  # once, not at each wait
        export_after_change(rt, tenant)
    parent = store.get(tenant_id, notice.parent_id) if notice.parent_id else None
    if parent is not None and not _settled(rt, store, parent):
        # Everyone who will get the notice must have it before the follow-up is planned.
        store.mark(tenant_id, notice_id, plan="waiting")
        Queue(defaults.QUEUE_PLAN, connection=rt.rq_redis).enqueue_in(
            FOLLOWUP_WAIT, plan_notice, tenant_id, notice_id, result_ttl=0
        )
        return {}
    store.mark(tenant_id, notice_id, plan="planning")
    _queue_broadcast(rt, tenant_id, notice)
    offered = tenant.channels.configured()
    totals: dict[str, int] = {}
    for kind in notice.channels if parent is None else _kinds(notice, parent):
        if kind not in offered:
            continue
        size = rt.settings.worker.batch_size
        if parent is None:
            # Cut from the bitmap, dense batches as bitmap slices (``members.batches``).
            batches: Iterable[tuple[int, MemberIds]] = MemberStore(rt.redis).subscriber_batches(
                tenant_id, kind, notice.topics, size, testers_only=notice.mode != "actual"
            )
        else:
            ids = (
                member_id for member_id, _ in records.sent_to(rt.redis, tenant_id, parent.id, kind)
            )
            batches = ((len(batch), batch) for batch in _chunks(ids, size))
        totals[kind] = _enqueue_batches(rt, notice, kind, batches)
    store.mark(tenant_id, notice_id, plan="done", planned_at=str(time.time()))
    if parent is None and notice.cascade is not None:
        cascade.schedule(rt.rq_redis, notice, 1, notice.cascade.after_seconds)
    log.info("notice %s of %s planned: %s", notice_id, tenant_id, totals)
    return totals


def _settled(rt: WorkerContext, store: NoticeStore, notice: Notice) -> bool:
    """Planned, and nobody pending on any channel."""
    if store.field(notice.tenant_id, notice.id, "plan") != "done":
        return False
    progress = records.progress(rt.redis, notice.tenant_id, notice.id, _kinds(notice, None))
    return all(p.pending == 0 for p in progress.values())


def _kinds(notice: Notice, parent: Notice | None) -> tuple[str, ...]:
    """The channels a notice has recipients on: with a cascade, also where it took members
    (a follow-up goes there too, ``records.sent_to`` finds them; and waits for them)."""
    followed = parent or notice
    if followed.cascade is None:
        return notice.channels
    return tuple(dict.fromkeys((*notice.channels, *followed.cascade.order)))


def _queue_broadcast(rt: WorkerContext, tenant_id: str, notice: Notice) -> None:
    tenant = rt.settings.tenant(tenant_id)
    if tenant is None or "telegram" not in notice.channels or broadcast_target(tenant) is None:
        return
    if notice.mode != "actual":
        return  # a public channel: drills and tests reach the testers only
    Queue(queue_name("telegram"), connection=rt.rq_redis).enqueue_call(
        post_broadcast,
        args=(tenant_id, notice.id),
        **job_options(notice, f"ll-bc-{tenant_id}-{notice.id}", f"broadcast notice {notice.id}"),
    )


def _enqueue_batches(
    rt: WorkerContext, notice: Notice, kind: str, batches: Iterable[tuple[int, MemberIds]]
) -> int:
    queue = Queue(queue_name(kind), connection=rt.rq_redis)
    total = 0
    pending: list[Any] = []
    for index, (count, batch) in enumerate(batches):
        job_id = f"ll-{notice.tenant_id}-{notice.id}-{kind}-{index}"
        description = f"notice {notice.id}: {kind} batch {index}"
        pending.append(
            Queue.prepare_data(
                deliver_batch,
                args=(notice.tenant_id, notice.id, kind, batch),
                **job_options(notice, job_id, description),
            )
        )
        total += count
        if len(pending) >= defaults.ENQUEUE_CHUNK:
            _flush(queue, pending, rt, notice, kind, total)
    _flush(queue, pending, rt, notice, kind, total)
    return total


def _flush(
    queue: Queue, pending: list[Any], rt: WorkerContext, notice: Notice, kind: str, total: int
) -> None:
    # The total is written before the jobs, so a fast worker never sees sent > total.
    records.set_total(rt.redis, notice.tenant_id, notice.id, kind, total)
    if pending:
        with rt.rq_redis.pipeline() as pipe:
            queue.enqueue_many(pending, pipeline=pipe)
            pipe.execute()
        pending.clear()


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for member_id in ids:
        batch.append(member_id)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
