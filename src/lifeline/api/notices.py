"""``/v1/notices``: post an outage notice, preview it, follow its delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, cast

import redis
from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel
from rq import Queue
from starlette.exceptions import HTTPException

from lifeline import delivery, messages
from lifeline.api import acknowledgements
from lifeline.api.deps import AuditDep, Auditor, RequirePublisher, RequireReader, TenantDep
from lifeline.api.schemas import (
    ApprovalOut,
    ChannelProgressOut,
    FailureOut,
    FailurePage,
    FollowUpOut,
    NoticeAccepted,
    NoticeOut,
)
from lifeline.config import TenantConfig
from lifeline.core import defaults
from lifeline.core.vocabulary import CHANNEL_KINDS, AuditAction, ChannelKind, Stage
from lifeline.delivery import records
from lifeline.notices import Notice, NoticeStore
from lifeline.notices.schemas import NoticeIn, ResolveIn, UpdateIn
from lifeline.server.deps import NoticeStoreDep, PlanQueueDep, RedisDep
from lifeline.server.errors import OTHER_METHODS, responses

router = APIRouter(prefix="/v1/notices", tags=["notices"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Makes a retry safe: the same key and body within 24 h return the first "
        "notice (`replayed: true`) and send nothing again; the same key with another body "
        "is refused with 409.",
    ),
]

CURSOR_PATTERN = rf"^({'|'.join(CHANNEL_KINDS)}):\d{{1,9}}$"
"""``<channel>:<offset>`` of a failures page."""

Preview = dict[str, dict[str, dict[str, str | int | list[str]]]]
"""Channel kind → language → what would be sent (text, subject, html, segments, what an SMS
left out, …)."""


class NoticeList(BaseModel):
    """``GET /v1/notices``: active notices first, newest first within."""

    notices: list[NoticeOut]


@router.post(
    "",
    status_code=202,
    summary="Post an outage notice",
    dependencies=[RequirePublisher],
    responses={
        202: {
            "description": "Accepted: stored and queued for delivery (or a replay)",
            "headers": {"Location": {"description": "Where to follow its delivery"}},
        },
        **responses(400, 401, 403, 409, 413, 422, 503),
    },
)
def post_notice(
    body: NoticeIn,
    response: Response,
    tenant: TenantDep,
    store: NoticeStoreDep,
    plan_queue: PlanQueueDep,
    audit: AuditDep,
    idempotency_key: IdempotencyKey = None,
) -> NoticeAccepted:
    """Store the notice and queue its delivery to every subscriber of its topics.

    Answers 202 at once; follow delivery at the ``Location``. A reused ``Idempotency-Key``
    with a different body is a 409 conflict: the key names one request, and that request
    is known to be something else (409 rather than Stripe's 400/IETF's 422, because it is
    stored state the request contradicts, not its own shape).
    """
    notice, created = delivery.publish(
        tenant=tenant,
        body=body,
        store=store,
        plan_queue=plan_queue,
        idempotency_key=idempotency_key,
        proposer=audit.actor,
    )
    response.headers["Location"] = f"{router.prefix}/{notice.id}"
    if created:
        headline = next(iter(notice.headline.values()), "")
        details = {"severity": notice.severity, "headline": headline, "mode": notice.mode}
        if notice.scenario:
            details["scenario"] = notice.scenario
        if notice.approval == "pending":
            details["approval"] = store.field(tenant.id, notice.id, "approval_reason") or ""
        audit.record("notice.post", notice.id, **details)
    return NoticeAccepted(id=notice.id, status=notice.status, replayed=not created)


@router.get(
    "",
    summary="List notices with their delivery progress",
    dependencies=[RequireReader],
    responses=responses(401, 403, 422, 503),
)
def list_notices(
    tenant: TenantDep,
    client: RedisDep,
    store: NoticeStoreDep,
    limit: Annotated[
        int, Query(ge=1, le=200, description="How many notices at most.")
    ] = defaults.NOTICE_LIST_LIMIT,
) -> NoticeList:
    """The tenant's newest notices, active ones first, each with progress per channel."""
    found = store.list(tenant.id, limit=limit)
    return NoticeList(notices=[present(client, store, notice) for notice in found])


@router.post(
    "/preview",
    summary="Preview a notice on every channel",
    dependencies=[RequirePublisher],
    responses=responses(400, 401, 403, 413, 422, 503),
)
def preview_notice(body: NoticeIn, tenant: TenantDep, client: RedisDep) -> Preview:
    """What each channel would send in each language; nothing is stored or sent.

    Runs the same checks as posting (topics, channels, services, SMS length); a body naming
    a scenario previews the notice made from it.
    """
    composed, _ = delivery.with_scenario(tenant, body, client)
    doc = delivery.checked_document(tenant, composed)
    return messages.preview(tenant, delivery.draft(tenant, doc), doc["channels"])


@router.api_route("/preview", methods=OTHER_METHODS, include_in_schema=False)
def preview_other_methods() -> None:
    """``/v1/notices/preview`` takes only POST: 405, not a notice id "preview" (422)."""
    raise HTTPException(405)


@router.get(
    "/{notice_id}",
    summary="A notice with its delivery progress",
    dependencies=[RequireReader],
    responses=responses(401, 403, 404, 422, 503),
)
def get_notice(
    notice_id: int, tenant: TenantDep, client: RedisDep, store: NoticeStoreDep
) -> NoticeOut:
    """Per channel: total, sent, failed, skipped, pending, complete and failure reasons.

    ``complete`` is true once planning is done and no channel has anyone pending.
    """
    return present(client, store, store.get(tenant.id, notice_id))


@router.post(
    "/{notice_id}/updates",
    status_code=202,
    summary="Post an update to everyone who got the notice",
    dependencies=[RequirePublisher],
    responses={**responses(400, 401, 403, 404, 409, 413, 422, 503)},
)
def post_update(
    notice_id: int,
    body: UpdateIn,
    response: Response,
    tenant: TenantDep,
    store: NoticeStoreDep,
    plan_queue: PlanQueueDep,
    audit: AuditDep,
    idempotency_key: IdempotencyKey = None,
) -> NoticeAccepted:
    """A follow-up (CAP "Update"): goes to exactly the members who were sent the notice,
    in their language, on Telegram as a reply to the notice's message. It waits until the
    notice's own delivery has settled. 409 if the notice is resolved or expired."""
    return _follow_up(notice_id, "update", body, response, tenant, store, plan_queue, audit,
                      idempotency_key)  # fmt: skip


@router.post(
    "/{notice_id}/resolve",
    status_code=202,
    summary="Resolve a notice: services are back",
    dependencies=[RequirePublisher],
    responses={**responses(400, 401, 403, 404, 409, 413, 422, 503)},
)
def post_resolve(
    notice_id: int,
    response: Response,
    tenant: TenantDep,
    store: NoticeStoreDep,
    plan_queue: PlanQueueDep,
    audit: AuditDep,
    body: ResolveIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> NoticeAccepted:
    """The all-clear (CAP "Cancel"): the notice's messages not yet sent are not sent, and
    everyone who was sent it gets the resolve message once. 409 if already resolved."""
    return _follow_up(notice_id, "resolve", body or ResolveIn(), response, tenant, store,
                      plan_queue, audit, idempotency_key)  # fmt: skip


def _follow_up(
    notice_id: int,
    stage: Stage,
    body: UpdateIn | ResolveIn,
    response: Response,
    tenant: TenantConfig,
    store: NoticeStore,
    plan_queue: Queue,
    audit: Auditor,
    idempotency_key: str | None,
) -> NoticeAccepted:
    notice, created = delivery.follow_up(
        tenant=tenant,
        parent_id=notice_id,
        stage=stage,
        body=body,
        store=store,
        plan_queue=plan_queue,
        idempotency_key=idempotency_key,
    )
    response.headers["Location"] = f"{router.prefix}/{notice.id}"
    if created:
        action: AuditAction = "notice.update" if stage == "update" else "notice.resolve"
        audit.record(action, notice_id, followup=notice.id)
    return NoticeAccepted(id=notice.id, status=notice.status, replayed=not created)


@router.get(
    "/{notice_id}/failures",
    summary="Page through the recipients a notice could not reach",
    dependencies=[RequireReader],
    responses=responses(401, 403, 404, 422, 503),
)
def list_failures(
    notice_id: int,
    tenant: TenantDep,
    client: RedisDep,
    store: NoticeStoreDep,
    channel: Annotated[ChannelKind | None, Query(description="Only this channel.")] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FailurePage:
    """Failed recipients with the provider's reason, in the order they failed.

    Channels come one after another; ``next_cursor`` (``<channel>:<offset>``) is null on
    the last page.
    """
    notice = store.get(tenant.id, notice_id)
    kinds = [k for k in notice.channels if channel is None or k == channel]
    offset = 0
    if cursor:
        kind, _, number = cursor.partition(":")
        if kind in kinds:
            kinds, offset = kinds[kinds.index(kind) :], int(number)
    page: list[FailureOut] = []
    for index, kind in enumerate(kinds):
        start = offset if index == 0 else 0
        room = limit - len(page)
        rows = records.failed_recipients(client, tenant.id, notice_id, kind, start, room + 1)
        page += [FailureOut(member_id=m, channel=kind, reason=r) for m, r in rows[:room]]
        if len(rows) > room:
            return FailurePage(failures=page, next_cursor=f"{kind}:{start + room}")
    return FailurePage(failures=page, next_cursor=None)


def present(client: redis.Redis, store: NoticeStore, notice: Notice) -> NoticeOut:
    """A stored notice with its delivery counters (and its follow-ups), as the API shows it."""
    planning = _planning(store.field(notice.tenant_id, notice.id, "plan"))
    progress = _progress(client, notice, planned=planning == "done")
    updates = (
        [_present_followup(client, store, f) for f in store.followups(notice.tenant_id, notice.id)]
        if notice.parent_id is None
        else []
    )
    return NoticeOut(
        id=notice.id,
        status=notice.status,
        severity=notice.severity,
        headline=notice.headline,
        body=notice.body,
        services=list(notice.services),
        topics=list(notice.topics),
        channels=list(notice.channels),
        created_at=notice.created_at,
        expires_at=notice.expires_at,
        planning=planning,
        progress=progress,
        complete=planning == "done" and all(p.complete for p in progress.values()),
        stage=notice.stage,
        parent_id=notice.parent_id,
        updates=updates,
        mode=notice.mode,
        scenario=notice.scenario,
        approval=_approval(store, notice),
        acknowledged=acknowledgements.counts(client, notice),
        cascade=acknowledgements.cascade(client, notice),
    )


def _approval(store: NoticeStore, notice: Notice) -> ApprovalOut | None:
    if notice.approval is None:
        return None
    found = store.fields(notice.tenant_id, notice.id, *APPROVAL_FIELDS)
    decided = found.get("decided_at")
    return ApprovalOut(
        state=notice.approval,
        reason=found.get("approval_reason", ""),
        proposed_by=found.get("proposer", ""),
        expires_at=datetime.fromtimestamp(int(found.get("approval_until", 0)) / 1000, UTC),
        decided_by=found.get("decided_by"),
        decided_at=datetime.fromtimestamp(int(decided) / 1000, UTC) if decided else None,
    )


APPROVAL_FIELDS = ("approval_reason", "proposer", "approval_until", "decided_by", "decided_at")


def _present_followup(client: redis.Redis, store: NoticeStore, notice: Notice) -> FollowUpOut:
    planned = store.field(notice.tenant_id, notice.id, "plan") == "done"
    progress = _progress(client, notice, planned=planned)
    return FollowUpOut(
        id=notice.id,
        stage=cast(Literal["update", "resolve"], notice.stage),
        created_at=notice.created_at,
        body=notice.body,
        progress=progress,
        complete=planned and all(p.complete for p in progress.values()),
    )


def _progress(
    client: redis.Redis, notice: Notice, *, planned: bool
) -> dict[str, ChannelProgressOut]:
    counters = records.progress(client, notice.tenant_id, notice.id, notice.channels)
    return {
        kind: ChannelProgressOut(
            total=c.total,
            sent=c.sent,
            failed=c.failed,
            skipped=c.skipped,
            pending=c.pending,
            complete=planned and c.pending == 0,
            delivered=c.delivered,
            undeliverable=c.undeliverable,
            rate=c.rate,
            eta_seconds=c.eta_seconds if planned else None,
            # Only read when there are failures: most channels of most notices have none.
            failure_reasons=(
                records.failure_reasons(client, notice.tenant_id, notice.id, kind)
                if c.failed
                else {}
            ),
        )
        for kind, c in counters.items()
    }


def _planning(value: str | None) -> Literal["queued", "waiting", "planning", "done"]:
    # No mark yet means the job is (about to be) queued: publish marks it right after.
    if value in ("waiting", "planning", "done"):
        return cast(Literal["waiting", "planning", "done"], value)
    return "queued"
