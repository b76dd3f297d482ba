"""``/v1/notices/{id}/unacknowledged``: who was sent a notice and has not said "understood";
and what ``GET /v1/notices/{id}`` shows of acknowledgements and the cascade."""

from __future__ import annotations

from typing import Annotated, cast

import redis
from fastapi import APIRouter, Query

from lifeline.acknowledgements import AckStore
from lifeline.api.deps import RequireReader, TenantDep
from lifeline.api.schemas import (
    CascadeOut,
    ChannelProgressOut,
    UnacknowledgedOut,
    UnacknowledgedPage,
)
from lifeline.core import defaults
from lifeline.core.vocabulary import CHANNEL_KINDS, ChannelKind
from lifeline.delivery import acks, records
from lifeline.delivery import cascade as cascades
from lifeline.notices import Notice
from lifeline.server.deps import NoticeStoreDep, RedisDep
from lifeline.server.errors import responses

router = APIRouter(prefix="/v1/notices", tags=["notices"])

CURSOR_PATTERN = rf"^({'|'.join(CHANNEL_KINDS)}):\d{{1,20}}$"
"""``<channel>:<HSCAN cursor>`` of an unacknowledged page."""


def counts(client: redis.Redis, notice: Notice) -> dict[str, int]:
    """``total`` and per channel: how many acknowledged (empty for follow-ups)."""
    if not acks.asks_ack(notice):
        return {}
    return AckStore(client).counts(notice.tenant_id, notice.id)


def cascade(client: redis.Redis, notice: Notice) -> CascadeOut | None:
    """The notice's cascade and its counts (None without one)."""
    plan = notice.cascade
    if plan is None:
        return None
    counted = cascades.counts(client, notice.tenant_id, notice.id)
    finished = counted.steps_done >= len(plan.order) - 1
    extra = tuple(k for k in plan.order if k not in notice.channels)
    progress = records.progress(client, notice.tenant_id, notice.id, extra)
    return CascadeOut(
        after_seconds=plan.after_seconds,
        order=list(plan.order),
        cascaded_from=counted.moved_from,
        cascaded_to=counted.moved_to,
        steps_done=counted.steps_done,
        progress={
            kind: ChannelProgressOut(
                total=p.total,
                sent=p.sent,
                failed=p.failed,
                skipped=p.skipped,
                pending=p.pending,
                complete=finished and p.pending == 0,
                rate=p.rate,
                eta_seconds=p.eta_seconds,
            )
            for kind, p in progress.items()
        },
    )


@router.get(
    "/{notice_id}/unacknowledged",
    summary="Page through the recipients who have not acknowledged a notice",
    dependencies=[RequireReader],
    responses=responses(401, 403, 404, 422, 503),
)
def list_unacknowledged(
    notice_id: int,
    tenant: TenantDep,
    client: RedisDep,
    store: NoticeStoreDep,
    channel: Annotated[ChannelKind | None, Query(description="Only this channel.")] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=defaults.ACK_PAGE_MAX)] = defaults.ACK_PAGE_LIMIT,
) -> UnacknowledgedPage:
    """Recipients sent (or delivered) the notice who have not acknowledged it on any
    channel, channel after channel (also those the cascade reached); ``next_cursor`` is
    null on the last page. A page may hold a few more than ``limit``, or fewer while
    later pages still follow: it is cut where the walk through the records stops."""
    notice = store.get(tenant.id, notice_id)
    kinds = (channel,) if channel else CHANNEL_KINDS
    position = None
    if cursor:
        kind, _, number = cursor.partition(":")
        position = (cast(ChannelKind, kind), int(number))
    rows, after = acks.unacknowledged(client, notice, kinds, position, limit)
    return UnacknowledgedPage(
        recipients=[UnacknowledgedOut(member_id=m, channel=k, state=s) for m, k, s in rows],
        next_cursor=f"{after[0]}:{after[1]}" if after else None,
    )
