"""Accepting notices and their follow-ups: check, store, queue the planning job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis
from rq import Queue

from lifeline import approvals, messages
from lifeline.approvals import Decision
from lifeline.audit import Actor
from lifeline.config import TenantConfig
from lifeline.core.errors import Conflict
from lifeline.core.vocabulary import Stage
from lifeline.delivery.plan import enqueue_plan
from lifeline.members.store import MemberStore
from lifeline.notices import lifecycle
from lifeline.notices.model import Notice, from_document
from lifeline.notices.schemas import NoticeIn, ResolveIn, UpdateIn
from lifeline.notices.store import NoticeStore
from lifeline.scenarios import Scenario, ScenarioStore, compose

SHELL = Actor("shell", "shell", "local")
"""Who proposes a notice posted without an API key (a script calling ``publish``)."""


def publish(
    *,
    tenant: TenantConfig,
    body: NoticeIn,
    store: NoticeStore,
    plan_queue: Queue,
    idempotency_key: str | None = None,
    proposer: Actor | None = None,
) -> tuple[Notice, bool]:
    """Check, store and queue a notice for planning; ``created`` is False for a replay.

    A notice naming a scenario is made from it first (``lifeline.scenarios``). One the
    tenant's approval policy names is stored as pending (proposed by ``proposer``) and
    planned only when ``release`` approves it. A replay (same Idempotency-Key and body)
    returns the first notice and sends nothing, unless that first request died before its
    planning job was queued.
    """
    fingerprint = lifecycle.fingerprint(body.model_dump(mode="json"))
    if idempotency_key:
        replayed = store.replayed(tenant.id, idempotency_key, fingerprint)
        if replayed is not None:
            _queue_once(store, plan_queue, replayed, False)
            return replayed, False
    composed, scenario = with_scenario(tenant, body, store.redis)
    doc = checked_document(tenant, composed)
    notice, created = store.create(
        tenant.id,
        doc,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        fields=_approval_fields(tenant, doc, store, proposer, _as_approved(scenario, body)),
    )
    _queue_once(store, plan_queue, notice, created)
    return notice, created


def with_scenario(
    tenant: TenantConfig, body: NoticeIn, client: redis.Redis
) -> tuple[NoticeIn, Scenario | None]:
    """The notice a request stands for: itself, or the scenario it names with the fields
    it gives (NotFound naming the scenario)."""
    if body.scenario is None:
        return body, None
    scenario = ScenarioStore(client).get(tenant.id, body.scenario)
    return compose(scenario, body), scenario


def release(
    *,
    tenant: TenantConfig,
    notice_id: int,
    by: Actor,
    decision: Decision,
    store: NoticeStore,
    plan_queue: Queue,
) -> Notice:
    """Approve (and queue for planning) or reject a notice waiting for a second person."""
    approvals.decide(store.redis, tenant.id, notice_id, decision, by)
    notice = store.get(tenant.id, notice_id)
    if decision == "approved":
        _queue_once(store, plan_queue, notice, True)
    return notice


def _as_approved(scenario: Scenario | None, body: NoticeIn) -> bool:
    """A scenario approved in advance, sent as it is: none of its words changed."""
    changed = body.model_fields_set & {"severity", "headline", "body", "services"}
    return scenario is not None and scenario.approved_by is not None and not changed


def _approval_fields(
    tenant: TenantConfig,
    doc: dict[str, Any],
    store: NoticeStore,
    proposer: Actor | None,
    approved_scenario: bool,
) -> dict[str, str]:
    """What to store with the notice if the tenant's policy makes it wait; else nothing."""
    policy = tenant.approval
    if policy is None:
        return {}
    audience = 0
    if policy.min_audience is not None:
        audience = MemberStore(store.redis).count_audience(
            tenant.id, doc["channels"], doc["topics"], testers_only=doc["status"] != "actual"
        )
    reason = approvals.why_approval(
        policy, severity=doc["severity"], audience=audience, approved_scenario=approved_scenario
    )
    if reason is None:
        return {}
    return approvals.pending_fields(proposer or SHELL, reason, policy.expiry_minutes)


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
    if isinstance(body, ResolveIn) and body.scenario and not body.body:
        closing = ScenarioStore(store.redis).get(tenant.id, body.scenario).body
        body = ResolveIn.model_validate({"body": closing, "scenario": body.scenario})
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
    if notice.approval not in (None, "approved"):
        return  # waits for a second person, or never goes out
    if created or store.field(notice.tenant_id, notice.id, "plan") is None:
        enqueue_plan(plan_queue, notice.tenant_id, notice)
        # Only if absent: a fast worker may already have marked it planning or done.
        store.mark_once(notice.tenant_id, notice.id, "plan", "queued")
