"""A waiting notice's marks, and the one decision a second person makes about it."""

from __future__ import annotations

import time
from typing import Literal

import redis

from lifeline.audit import Actor
from lifeline.core.errors import Conflict, NotFound, PermissionDenied
from lifeline.db import scripts
from lifeline.notices.store import notice_key

Decision = Literal["approved", "rejected"]


class DecisionRefused(Conflict):
    """The notice is not waiting for a decision (any more)."""


def pending_fields(proposer: Actor, reason: str, expiry_minutes: int) -> dict[str, str]:
    """The fields a notice that waits for approval is stored with (in the same write)."""
    until = int(time.time() * 1000) + expiry_minutes * 60_000
    return {
        "approval": "pending",
        "approval_until": str(until),
        "approval_reason": reason,
        "proposer": proposer.label,
        "proposer_key": proposer.key_id,
    }


def decide(
    client: redis.Redis, tenant_id: str, notice_id: int, decision: Decision, by: Actor
) -> None:
    """Approve or reject a waiting notice as ``by``; atomically, so two approvers cannot
    both release it and a late approval cannot follow a rejection.

    PermissionDenied if ``by`` proposed it (the same key or the same label); Conflict if it
    is not waiting (decided, lapsed, or never needed approval); NotFound if there is none.
    """
    script = scripts.load(client, __package__, "decide.lua")
    reply = script(
        keys=[notice_key(tenant_id, notice_id)],
        args=[decision, by.key_id, by.label, int(time.time() * 1000)],
    )
    if reply[0] == "ok":
        return
    why = str(reply[1])
    if why == "missing":
        raise NotFound(f"notice {notice_id} not found")
    if why.startswith("same:"):
        raise PermissionDenied(
            f"notice {notice_id} was proposed by {why[5:]!r}: another person (a key with "
            "another label) must approve or reject it"
        )
    if why == "lapsed":
        raise DecisionRefused(f"notice {notice_id} waited too long for approval and lapsed")
    state = why.removeprefix("state:")
    if state == "none":
        raise DecisionRefused(f"notice {notice_id} does not need approval")
    raise DecisionRefused(f"notice {notice_id} is already {state}")
