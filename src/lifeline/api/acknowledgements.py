"""``/v1/notices/{id}/unacknowledged``: who was sent a notice and has not said "understood";
and the acknowledgement counts ``GET /v1/notices/{id}`` shows."""

from __future__ import annotations

from typing import Annotated, cast

import redis
from fastapi import APIRouter, Query

from lifeline.acknowledgements import AckStore
from lifeline.api.deps import RequireReader, TenantDep
from lifeline.api.schemas import UnacknowledgedOut, UnacknowledgedPage
from lifeline.core import defaults
from lifeline.core.vocabulary import CHANNEL_KINDS, ChannelKind
from lifeline.delivery import acks
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
