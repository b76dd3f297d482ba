"""Acknowledgements as delivery sees them: what a message carries to be acknowledged (a
Telegram button, an email link), and recording a member's "understood" for a notice they
were sent (from the bot, the link's page, or an SMS reply).

Only the notice itself asks for acknowledgement: its updates and all-clear carry no button
and no link (an update is read in the light of the notice already acknowledged, and an
all-clear needs no answer).

Telegram's callback data is ``ack:<notice id>`` (the bot's ``keyboards`` lists it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, cast

import redis

from lifeline.access import signing
from lifeline.acknowledgements import AckStore
from lifeline.channels.base import Button
from lifeline.config import WebConfig
from lifeline.core import defaults
from lifeline.core.errors import NotFound
from lifeline.core.i18n import gettext_for
from lifeline.core.vocabulary import CHANNEL_KINDS, ChannelKind
from lifeline.delivery import records
from lifeline.notices.model import Notice
from lifeline.notices.store import NoticeStore
from lifeline.pages import PageLinks

CALLBACK_PREFIX = "ack"
"""Kind of the Telegram callback data ``ack:<notice id>``."""

Acked = Literal["recorded", "already", "not sent"]
"""What an acknowledgement did: recorded now, recorded before, or refused because the
member was never sent the notice (or it is not one that asks for acknowledgement)."""


def asks_ack(notice: Notice) -> bool:
    """Whether a notice's messages ask to be acknowledged (the notice, not its follow-ups)."""
    return notice.stage == "alert" and notice.parent_id is None


def buttons(notice: Notice, kind: ChannelKind, language: str) -> tuple[Button, ...]:
    """The "understood" button under a Telegram message of the notice, in its language."""
    if kind != "telegram" or not asks_ack(notice):
        return ()
    _ = gettext_for(language)
    return (Button(_("Understood"), f"{CALLBACK_PREFIX}:{notice.id}"),)


def links(web: WebConfig, notice: Notice, kind: ChannelKind) -> Callable[[int], str | None]:
    """Each member's signed link to acknowledge the notice, for email when the public side
    is set (None otherwise: the email then has no such paragraph)."""
    if kind != "email" or not asks_ack(notice) or web.secret is None or not web.base():
        return lambda member_id: None
    secret, pages = web.secret.get_secret_value(), PageLinks(notice.tenant_id, web.base())
    purpose = signing.ack_purpose(notice.id)
    return lambda member_id: pages.ack(
        notice.id, signing.sign(secret, purpose, notice.tenant_id, member_id, kind)
    )


def acknowledge(
    client: redis.Redis, tenant_id: str, notice_id: int, member_id: int, via: ChannelKind
) -> Acked:
    """Record that a member acknowledged a notice they were sent (on any channel).

    NotFound when the tenant has no such notice.
    """
    notice = NoticeStore(client).get(tenant_id, notice_id)
    if not asks_ack(notice) or not _was_sent(client, tenant_id, notice_id, member_id):
        return "not sent"
    ledgers = [records.deliveries_key(tenant_id, notice_id, kind) for kind in CHANNEL_KINDS]
    recorded = AckStore(client).record(tenant_id, notice_id, member_id, via, lives_with=ledgers)
    return "recorded" if recorded else "already"


def newest_sent(
    client: redis.Redis, tenant_id: str, member_id: int, kind: ChannelKind
) -> int | None:
    """The newest active notice asking for acknowledgement that this member was sent on
    this channel (among the tenant's newest ``ACK_REPLY_LOOKBACK``), if any."""
    notices = NoticeStore(client).list(tenant_id, limit=defaults.ACK_REPLY_LOOKBACK)
    candidates = [n.id for n in notices if n.status == "active" and asks_ack(n)]
    states = records.member_states(client, tenant_id, [(n, kind) for n in candidates], member_id)
    return next((n for n, s in zip(candidates, states, strict=True) if _sent(s)), None)


def _was_sent(client: redis.Redis, tenant_id: str, notice_id: int, member_id: int) -> bool:
    pairs = [(notice_id, kind) for kind in CHANNEL_KINDS]
    return any(_sent(s) for s in records.member_states(client, tenant_id, pairs, member_id))


def _sent(state: str | None) -> bool:
    """Sent (``s…``) or delivered (``d…``, from a provider's receipt)."""
    return state is not None and state[:1] in ("s", "d")


def lookup_notice(client: redis.Redis, tenant_id: str, notice_id: int) -> Notice | None:
    """The notice, or None when the tenant has none of this id."""
    try:
        return NoticeStore(client).get(tenant_id, notice_id)
    except NotFound:
        return None


def unacknowledged(
    client: redis.Redis,
    notice: Notice,
    kinds: tuple[ChannelKind, ...],
    cursor: tuple[ChannelKind, int] | None,
    limit: int,
) -> tuple[list[tuple[int, ChannelKind, SentState]], tuple[ChannelKind, int] | None]:
    """One page of (member id, channel, "sent" | "delivered") of the recipients who have
    not acknowledged the notice, channel after channel; and the cursor of the next page
    (None after the last).

    Each channel's delivery records are walked with HSCAN from the cursor, at most
    ``ACK_SCAN_ROUNDS`` calls a page: a page may hold somewhat more than ``limit`` (HSCAN
    returns whole steps) or fewer (most had acknowledged), never the whole ledger.
    """
    store = AckStore(client)
    start_kind, position = cursor or (kinds[0], 0)
    todo = list(kinds[kinds.index(start_kind) :]) if start_kind in kinds else []
    page: list[tuple[int, ChannelKind, SentState]] = []
    for _ in range(defaults.ACK_SCAN_ROUNDS):
        if not todo or len(page) >= limit:
            break
        kind = todo[0]
        key = records.deliveries_key(notice.tenant_id, notice.id, kind)
        position, states = cast(
            tuple[int, dict[str, str]],
            client.hscan(key, position, count=max(limit - len(page), 10)),
        )
        sent = [(int(m), s) for m, s in states.items() if _sent(s)]
        done = store.acknowledged(notice.tenant_id, notice.id, [m for m, _ in sent])
        page += [(m, kind, _state_name(s)) for m, s in sent if m not in done]
        if position == 0:
            todo.pop(0)
    if not todo:
        return page, None
    return page, (todo[0], int(position))


SentState = Literal["sent", "delivered"]


def _state_name(state: str) -> SentState:
    return "delivered" if state.startswith("d") else "sent"
