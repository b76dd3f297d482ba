"""What a confirmed sign-up, an unsubscribe and a way back do to a member, and the consent
events they leave."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lifeline.consents import ConsentEvent, ConsentLog
from lifeline.core.vocabulary import CONTACT_BY_CHANNEL, ChannelKind, ConsentAction, ConsentVia
from lifeline.members.model import Member, MemberData
from lifeline.members.store import MemberStore
from lifeline.subscriptions.model import Signup


def enroll(members: MemberStore, tenant_id: str, signup: Signup, *, via: ConsentVia) -> Member:
    """The member a confirmed sign-up makes: a new one, or the one already at the address
    with the channel resumed, the chosen topics added and the chosen language."""
    now = datetime.now(UTC)
    field = CONTACT_BY_CHANNEL[signup.kind].field
    existing = members.find(tenant_id, signup.kind, signup.address)
    if existing is None:
        data: dict[str, Any] = {field: signup.address}
        member = members.create(
            tenant_id,
            MemberData(
                language=signup.language,
                topics=signup.topics,
                consent_given_at=now,
                consent_source=via,
                **data,
            ),
        )
    else:
        # Topics are added, not replaced: they are the member's on every channel, and a
        # sign-up by email must not silently end what they get on Telegram.
        topics = tuple(dict.fromkeys((*existing.topics, *signup.topics)))
        member = members.update(
            tenant_id,
            existing.id,
            {
                "language": signup.language,
                "topics": topics,
                "paused": existing.paused - {signup.kind},
                "consent_given_at": now,
                "consent_source": via,
            },
        )
    details = {"client": signup.client} if signup.client else {}
    common: dict[str, Any] = {
        "channel": signup.kind,
        "via": via,
        "topics": signup.topics,
        "language": signup.language,
        "text": signup.text,
        "text_version": signup.text_version,
        "details": details,
    }
    ConsentLog(members.redis).record(
        tenant_id,
        member.id,
        ConsentEvent(action="asked", at=signup.asked_at, **common),
        ConsentEvent(action="confirmed", at=now, **common),
    )
    return member


def withdraw(
    members: MemberStore, tenant_id: str, member: Member, kind: ChannelKind, *, via: ConsentVia
) -> bool:
    """Stop a channel for a member (unsubscribe); False when it was stopped already."""
    if kind in member.paused:
        return False
    members.pause(tenant_id, member.id, kind)
    log_consent(members, tenant_id, member, kind, "withdrawn", via)
    return True


def resume(
    members: MemberStore, tenant_id: str, member: Member, kind: ChannelKind, *, via: ConsentVia
) -> bool:
    """Start a stopped channel again; False when it was not stopped."""
    if kind not in member.paused:
        return False
    members.update(tenant_id, member.id, {"paused": member.paused - {kind}})
    log_consent(members, tenant_id, member, kind, "resumed", via)
    return True


def log_consent(
    members: MemberStore,
    tenant_id: str,
    member: Member,
    kind: ChannelKind,
    action: ConsentAction,
    via: ConsentVia,
) -> None:
    """One event of a member's consent on one channel, now (the bot's /start and /stop)."""
    event = ConsentEvent(
        action=action,
        channel=kind,
        at=datetime.now(UTC),
        via=via,
        topics=member.topics,
        language=member.language,
    )
    ConsentLog(members.redis).record(tenant_id, member.id, event)
