"""``/v1/notices``: post an outage notice, preview it, follow its delivery."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, cast

import redis
from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel

from lifeline import fanout, notices, templates
from lifeline.api.deps import (
    NoticeStoreDep,
    PlanQueueDep,
    RedisDep,
    RequirePublisher,
    RequireReader,
    TenantDep,
)
from lifeline.api.errors import responses
from lifeline.notices import Notice
from lifeline.schemas import ChannelProgressOut, NoticeAccepted, NoticeIn, NoticeOut
from lifeline.store import deliveries
from lifeline.store.notices import NoticeStore

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

Preview = dict[str, dict[str, dict[str, str | int]]]
"""Channel kind → language → what would be sent (text, subject, html, segments, …)."""


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
    idempotency_key: IdempotencyKey = None,
) -> NoticeAccepted:
    """Store the notice and queue its delivery to every subscriber of its topics.

    Answers 202 at once; follow delivery at the ``Location``. A reused ``Idempotency-Key``
    with a different body is a 409 conflict: the key names one request, and that request
    is known to be something else (409 rather than Stripe's 400/IETF's 422, because it is
    stored state the request contradicts, not its own shape).
    """
    notice, created = fanout.publish(
        tenant=tenant,
        body=body,
        store=store,
        plan_queue=plan_queue,
        idempotency_key=idempotency_key,
    )
    response.headers["Location"] = f"{router.prefix}/{notice.id}"
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
    limit: Annotated[int, Query(ge=1, le=200, description="How many notices at most.")] = 50,
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
def preview_notice(body: NoticeIn, tenant: TenantDep) -> Preview:
    """What each channel would send in each language; nothing is stored or sent.

    Runs the same checks as posting (topics, channels, services, SMS length).
    """
    doc = notices.prepare(tenant, body)
    draft = notices.from_document(0, tenant.id, doc, created_at=datetime.now(UTC))
    return templates.preview(tenant, draft, doc["channels"])


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


def present(client: redis.Redis, store: NoticeStore, notice: Notice) -> NoticeOut:
    """A stored notice with its delivery counters, as the API shows it."""
    planning = _planning(store.field(notice.tenant_id, notice.id, "plan"))
    planned = planning == "done"
    counters = deliveries.progress(client, notice.tenant_id, notice.id, notice.channels)
    progress = {
        kind: ChannelProgressOut(
            total=c.total,
            sent=c.sent,
            failed=c.failed,
            skipped=c.skipped,
            pending=c.pending,
            complete=planned and c.pending == 0,
            # Only read when there are failures: most channels of most notices have none.
            failure_reasons=(
                deliveries.failure_reasons(client, notice.tenant_id, notice.id, kind)
                if c.failed
                else {}
            ),
        )
        for kind, c in counters.items()
    }
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
        complete=planned and all(p.complete for p in progress.values()),
    )


def _planning(value: str | None) -> Literal["queued", "planning", "done"]:
    # No mark yet means the job is (about to be) queued: publish marks it right after.
    if value in ("planning", "done"):
        return cast(Literal["planning", "done"], value)
    return "queued"
