"""Delivery receipts: what a provider reports after the send, applied to the ledger.

An SMS gateway's delivery report or a mail relay's bounce names the provider's message id
(the SMS gateway's id, the email's Message-ID). The send was indexed under it, in the same
script that recorded it (``records.receipts_key``); the receipt finds its notice and member
there and moves the recipient on (``lua/receipt.lua``):

    s[:<id>]  ─ delivered ──►  d[:<id>]      counts: delivered + 1
    s / d     ─ undeliverable ► u:<reason>   counts: undeliverable + 1 (delivered − 1 from d)

The same report twice counts once; undeliverable wins in whatever order reports arrive. A
hard bounce pauses the member's email, as a Telegram 403 pauses Telegram: the next notice
is not emailed to them until they confirm an address again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal, cast

import redis

from lifeline.core.errors import NotFound
from lifeline.db import scripts
from lifeline.delivery.records import DAY_SECONDS, ledger_keys, receipts_key
from lifeline.members.store import MemberStore

log = logging.getLogger(__name__)

Verdict = Literal["delivered", "undeliverable"]
Result = Literal["delivered", "undeliverable", "unchanged", "unknown"]
"""What a receipt did: moved its recipient to delivered or undeliverable, changed nothing
(a repeat, or delivered after undeliverable), or matched no send Lifeline still knows."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """One provider report about one sent message."""

    provider_id: str
    verdict: Verdict
    reason: str = ""
    """The provider's words for an undeliverable message (stored as ``u:<reason>``)."""
    hard_bounce: bool = False
    """The address does not exist (any more): pause the member's channel."""


@dataclass(frozen=True, slots=True)
class Sent:
    """The recipient a provider message id was sent to."""

    notice_id: int
    member_id: int


def find(
    client: redis.Redis, tenant_id: str, kind: str, provider_id: str, retention_days: int
) -> Sent | None:
    """The notice and member a message went to, from the receipt index of every day the
    delivery records are kept (one round trip; newest day first)."""
    today = int(time.time()) // DAY_SECONDS
    pipe = client.pipeline(transaction=False)
    # A day either side: the worker that indexed the send used its own clock.
    for day in range(today + 1, today - retention_days - 2, -1):
        pipe.hget(receipts_key(tenant_id, kind, day), provider_id)
    for found in cast(list[str | None], pipe.execute()):
        if found:
            notice, _, member = found.partition(":")
            return Sent(int(notice), int(member))
    return None


def apply(
    client: redis.Redis,
    members: MemberStore,
    tenant_id: str,
    kind: str,
    receipt: Receipt,
    *,
    retention_days: int,
) -> Result:
    """Apply one receipt to the ledger of the notice it belongs to."""
    sent = find(client, tenant_id, kind, receipt.provider_id, retention_days)
    if sent is None:
        return "unknown"
    ledger = ledger_keys(tenant_id, sent.notice_id, kind)
    script = scripts.load(client, __package__, "receipt.lua")
    reason = receipt.reason.replace("\n", " ")[:300] or "undeliverable"
    changed = int(
        script(
            keys=[ledger[0], ledger[1], ledger[6]],
            args=[sent.member_id, receipt.verdict, reason],
        )
    )
    if changed < 0:
        return "unknown"
    if receipt.verdict == "undeliverable" and receipt.hard_bounce:
        # Also on a repeat: a soft report may have come first and changed the state.
        _pause(members, tenant_id, sent.member_id, kind)
    return receipt.verdict if changed else "unchanged"


def _pause(members: MemberStore, tenant_id: str, member_id: int, kind: str) -> None:
    try:
        members.pause(tenant_id, member_id, kind)
    except NotFound:
        return  # erased since: nothing to pause
    log.info("%s: member %s %s paused after a hard bounce", tenant_id, member_id, kind)
