"""Accepting notices and their follow-ups: check, store, queue the planning job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from rq import Queue

from lifeline import notices, templates
from lifeline.config import TenantConfig
from lifeline.errors import Conflict, InvalidInput
from lifeline.fanout.plan import enqueue_plan
from lifeline.notices import Notice
from lifeline.schemas import NoticeIn, ResolveIn, UpdateIn
from lifeline.store.notices import NoticeStore


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
    _queue_once(store, plan_queue, notice, created)
    return notice, created


def follow_up(
    *,
    tenant: TenantConfig,
    parent_id: int,
    stage: Literal["update", "resolve"],
    body: UpdateIn | ResolveIn,
    store: NoticeStore,
    plan_queue: Queue,
    idempotency_key: str | None = None,
) -> tuple[Notice, bool]:
    """Post an update or the resolve of a notice, for everyone who was sent the notice.

    A resolve also stops the notice's messages that have not gone out yet. Conflict if the
    notice is resolved already (or, for an update, expired, or itself a follow-up).
    """
    fingerprint = notices.fingerprint({"stage": stage, **body.model_dump(mode="json")})
    if idempotency_key:
        replayed = store.replayed(tenant.id, idempotency_key, fingerprint)
        if replayed is not None:
            return replayed, False
    parent = store.get(tenant.id, parent_id)
    _check_followable(parent, stage)
    doc = _followup_document(parent, stage, body)
    if "sms" in parent.channels:
        draft = notices.from_document(0, tenant.id, doc, created_at=datetime.now(UTC))
        templates.check_sms_length(tenant, draft)
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


def _check_followable(parent: Notice, stage: str) -> None:
    if parent.parent_id is not None:
        raise Conflict(
            f"notice {parent.id} is itself a follow-up; post to notice {parent.parent_id}"
        )
    if parent.status == "resolved":
        raise Conflict(f"notice {parent.id} is already resolved")
    if stage == "update" and parent.status == "expired":
        raise Conflict(f"notice {parent.id} has expired; post a new notice instead")


def _followup_document(parent: Notice, stage: str, body: UpdateIn | ResolveIn) -> dict[str, Any]:
    headline: dict[str, str] = parent.headline
    severity = parent.severity
    if isinstance(body, UpdateIn):
        headline = {str(k): v for k, v in body.headline.items()} if body.headline else headline
        severity = body.severity or severity
    extra = set(body.body) - set(headline)
    if extra:
        raise InvalidInput(
            f"body has a language the notice has no headline in: {', '.join(sorted(extra))}",
            field=f"body.{sorted(extra)[0]}",
        )
    return {
        "severity": severity,
        "headline": headline,
        "body": body.body,
        "services": list(parent.services),
        "topics": list(parent.topics),
        "channels": list(parent.channels),
        # An update lapses with its notice; the all-clear always goes out.
        "expires_at": parent.expires_at.isoformat()
        if stage == "update" and parent.expires_at
        else None,
        "stage": stage,
        "parent": parent.id,
    }


def _queue_once(store: NoticeStore, plan_queue: Queue, notice: Notice, created: bool) -> None:
    if created or store.field(notice.tenant_id, notice.id, "plan") is None:
        enqueue_plan(plan_queue, notice.tenant_id, notice)
        # Only if absent: a fast worker may already have marked it planning or done.
        store.mark_once(notice.tenant_id, notice.id, "plan", "queued")
