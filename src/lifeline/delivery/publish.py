"""Accepting notices and their follow-ups: check, store, queue the planning job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rq import Queue

from lifeline import messages
from lifeline.config import TenantConfig
from lifeline.core.errors import Conflict
from lifeline.core.vocabulary import Stage
from lifeline.delivery.plan import enqueue_plan
from lifeline.notices import lifecycle
from lifeline.notices.model import Notice, from_document
from lifeline.notices.schemas import NoticeIn, ResolveIn, UpdateIn
from lifeline.notices.store import NoticeStore


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
    doc = checked_document(tenant, body)
    notice, created = store.create(
        tenant.id,
        doc,
        idempotency_key=idempotency_key,
        fingerprint=lifecycle.fingerprint(body.model_dump(mode="json")),
    )
    _queue_once(store, plan_queue, notice, created)
    return notice, created


def follow_up(
    *,
    tenant: TenantConfig,
    parent_id: int,
    stage: Stage,
    body: UpdateIn | ResolveIn,
    store: NoticeStore,
    plan_queue: Queue,
    idempotency_key: str | None = None,
) -> tuple[Notice, bool]:
    """Post an update or the resolve of a notice, for everyone who was sent the notice.

    A resolve also stops the notice's messages that have not gone out yet. Conflict if the
    notice is resolved already (or, for an update, expired, or itself a follow-up).
    """
    fingerprint = lifecycle.fingerprint({"stage": stage, **body.model_dump(mode="json")})
    if idempotency_key:
        replayed = store.replayed(tenant.id, idempotency_key, fingerprint)
        if replayed is not None:
            return replayed, False
    parent = store.get(tenant.id, parent_id)
    lifecycle.check_followable(parent, stage)
    doc = lifecycle.follow_up_document(parent, stage, body)
    if "sms" in parent.channels:
        messages.check_sms_length(tenant, draft(tenant, doc))
    notice, created = store.create(
        tenant.id,
        doc,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        parent_id=parent.id,
    )
    if created and stage == "resolve" and not store.resolve(tenant.id, parent.id):
        # Another resolve won the race: this one must not go out as well.
        store.mark(tenant.id, notice.id, status="resolved")
        raise Conflict(f"notice {parent.id} is already resolved")
    _queue_once(store, plan_queue, notice, created)
    return notice, created


def checked_document(tenant: TenantConfig, body: NoticeIn) -> dict[str, Any]:
    """The document to store for a posted notice, after every check that needs the tenant:
    topics, channels and services (``notices.lifecycle.prepare``), then the SMS length."""
    doc = lifecycle.prepare(tenant, body)
    cascades_to = (doc.get("cascade") or {}).get("order", [])
    if "sms" in doc["channels"] or "sms" in cascades_to:
        # A notice that may cascade to SMS must fit an SMS as much as one sent by SMS.
        messages.check_sms_length(tenant, draft(tenant, {**doc, "channels": ["sms"]}))
    return doc


def draft(tenant: TenantConfig, doc: dict[str, Any]) -> Notice:
    """A notice not stored yet (id 0), to render or check its texts."""
    return from_document(0, tenant.id, doc, created_at=datetime.now(UTC))


def _queue_once(store: NoticeStore, plan_queue: Queue, notice: Notice, created: bool) -> None:
    if created or store.field(notice.tenant_id, notice.id, "plan") is None:
        enqueue_plan(plan_queue, notice.tenant_id, notice)
        # Only if absent: a fast worker may already have marked it planning or done.
        store.mark_once(notice.tenant_id, notice.id, "plan", "queued")
