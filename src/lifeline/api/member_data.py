"""What Lifeline holds about one member, for the member's rights (DSGVO Art. 7, 15, 20):

    GET /v1/members/{id}/consents   the consent history: asked, confirmed, withdrawn, resumed
    GET /v1/members/{id}/export     everything, as one JSON document the member can be given
    GET /v1/members/{id}/deliveries every notice the member was sent: when, where, outcome

Role admin, as the member list itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis
from fastapi import APIRouter
from pydantic import BaseModel

from lifeline.api.deps import RequireAdmin, TenantDep
from lifeline.api.members import present
from lifeline.api.schemas import MemberOut
from lifeline.consents import ConsentEvent, ConsentLog
from lifeline.conversations import ChatState
from lifeline.core import defaults
from lifeline.delivery import records
from lifeline.members import Member
from lifeline.notices import NoticeStore
from lifeline.server.deps import MemberStoreDep, NoticeStoreDep, RedisDep
from lifeline.server.errors import responses

router = APIRouter(prefix="/v1/members", tags=["members"], dependencies=[RequireAdmin])

STATES = {"s": "sent", "f": "failed", "k": "skipped", "w": "sending", "d": "delivered",
          "u": "undeliverable"}  # fmt: skip


class ConsentOut(BaseModel):
    """One event of a member's consent history."""

    action: str
    channel: str
    at: datetime
    via: str
    topics: list[str]
    language: str | None
    text: str | None
    """The consent text the member was shown, word for word."""
    text_version: str | None
    details: dict[str, str]


class ConsentsOut(BaseModel):
    """A member's consent history, oldest first."""

    member_id: int
    consents: list[ConsentOut]


class DeliveryOut(BaseModel):
    """One message Lifeline sent (or tried to send) the member."""

    notice_id: int
    stage: str
    created_at: datetime
    headline: str
    channel: str
    state: str
    detail: str


class DeliveriesOut(BaseModel):
    """The member's messages among the tenant's newest notices, newest first."""

    member_id: int
    deliveries: list[DeliveryOut]


class ExportOut(BaseModel):
    """Everything Lifeline holds about a member."""

    exported_at: datetime
    tenant: str
    member: MemberOut
    consents: list[ConsentOut]
    telegram_chat: dict[str, Any] | None
    """What the bot keeps about the member's chat (its language), if any."""
    deliveries: list[DeliveryOut]
    """The member's messages among the tenant's newest notices, newest first."""


@router.get(
    "/{member_id}/consents",
    summary="A member's consent history",
    responses=responses(401, 403, 404, 422, 503),
)
def get_consents(member_id: int, tenant: TenantDep, store: MemberStoreDep) -> ConsentsOut:
    """Every time the member was asked, confirmed, withdrew or came back, with the words
    they agreed to and how (page, bot, import, API, link, SMS reply)."""
    store.get(tenant.id, member_id)  # 404 for a member that is not (or no longer) there
    history = ConsentLog(store.redis).history(tenant.id, member_id)
    return ConsentsOut(member_id=member_id, consents=[_consent(e) for e in history])


@router.get(
    "/{member_id}/export",
    summary="Everything Lifeline holds about a member",
    responses=responses(401, 403, 404, 422, 503),
)
def export_member(
    member_id: int,
    tenant: TenantDep,
    store: MemberStoreDep,
    notices: NoticeStoreDep,
    client: RedisDep,
) -> ExportOut:
    """The member record, consent history, the bot's chat state and the deliveries, as one
    document (DSGVO Art. 15 access, Art. 20 portability)."""
    member = store.get(tenant.id, member_id)
    chat = None
    if member.telegram_chat_id is not None:
        chat = {"language": ChatState(client, tenant.id).language(member.telegram_chat_id)}
    deliveries = _deliveries(client, notices, tenant.id, member)
    history = ConsentLog(client).history(tenant.id, member_id)
    return ExportOut(
        exported_at=datetime.now(UTC),
        tenant=tenant.id,
        member=present(member),
        consents=[_consent(e) for e in history],
        telegram_chat=chat,
        deliveries=deliveries,
    )


@router.get(
    "/{member_id}/deliveries",
    summary="Every notice a member was sent",
    responses=responses(401, 403, 404, 422, 503),
)
def member_deliveries(
    member_id: int,
    tenant: TenantDep,
    store: MemberStoreDep,
    notices: NoticeStoreDep,
    client: RedisDep,
) -> DeliveriesOut:
    """ "Did Ms X get the message?": each notice, update and all-clear among the tenant's
    newest 1,000 that the member was sent, on which channel, with which outcome (sent,
    failed with the provider's reason, skipped, or still sending)."""
    member = store.get(tenant.id, member_id)
    return DeliveriesOut(
        member_id=member_id, deliveries=_deliveries(client, notices, tenant.id, member)
    )


def _deliveries(
    client: redis.Redis, notices: NoticeStore, tenant_id: str, member: Member
) -> list[DeliveryOut]:
    recent = notices.list(tenant_id, limit=defaults.EXPORT_MAX_NOTICES)
    for followups in notices.followups_of(tenant_id, [n.id for n in recent]).values():
        recent += followups
    recent.sort(key=lambda n: n.created_at, reverse=True)
    pairs = [(n.id, kind) for n in recent for kind in n.channels]
    states = records.member_states(client, tenant_id, pairs, member.id)
    by_id = {n.id: n for n in recent}
    found = []
    for (notice_id, kind), state in zip(pairs, states, strict=True):
        if state is None:
            continue
        notice = by_id[notice_id]
        code, _, detail = state.partition(":")
        headline = notice.headline.get(member.language) or next(iter(notice.headline.values()))
        found.append(DeliveryOut(
            notice_id=notice_id, stage=notice.stage, created_at=notice.created_at,
            headline=headline, channel=kind, state=STATES.get(code, code),
            detail=detail if code in ("f", "k", "u") else "",
        ))  # fmt: skip
    return found


def _consent(event: ConsentEvent) -> ConsentOut:
    return ConsentOut(**event.to_json())
