"""What a notice may be, and how its follow-ups are made (after CAP's Alert / Update / Cancel).

``prepare`` turns a posted notice into the document to store, after the checks that need
the tenant; ``follow_up_document`` makes an update or the all-clear from the notice it
follows, once ``check_followable`` has said that it may. Storing and queueing are
``lifeline.delivery.publish``'s; the SMS length check is the messages' (it needs the texts).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from lifeline.config import TenantConfig
from lifeline.core.errors import Conflict, InvalidInput
from lifeline.core.locations import quoted
from lifeline.core.vocabulary import CHANNEL_KINDS, Stage
from lifeline.notices import cascade
from lifeline.notices.model import Notice
from lifeline.notices.schemas import NoticeIn, ResolveIn, UpdateIn
from lifeline.notices.services import known_services


def fingerprint(body: Mapping[str, Any]) -> str:
    """A stable digest of a request body, to tell an honest retry from a reused key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def prepare(tenant: TenantConfig, body: NoticeIn) -> dict[str, Any]:
    """The document to store for a posted notice, after the checks that need the tenant.

    Raises InvalidInput naming the field: a topic the tenant does not have, a channel it
    does not offer, an unknown service.
    """
    unknown_topics = [t for t in body.topics if t not in tenant.topics]
    if unknown_topics:
        raise InvalidInput(
            f"unknown topic {quoted(unknown_topics[0])}; this tenant has: "
            f"{', '.join(tenant.topics)}",
            field="topics",
        )
    offered = tenant.channels.configured()
    wanted: list[str] = list(body.channels) if body.channels else []
    channels = wanted or [k for k in CHANNEL_KINDS if k in offered]
    missing = [c for c in channels if c not in offered]
    if missing or not channels:
        raise InvalidInput(
            f"channel {quoted(missing[0])} is not configured for this tenant"
            if missing
            else "this tenant has no channel configured",
            field="channels",
        )
    known = known_services()
    unknown_services = [s for s in body.services if s not in known]
    if unknown_services:
        raise InvalidInput(
            f"unknown service {quoted(unknown_services[0])}; known: {', '.join(sorted(known))}",
            field="services",
        )
    doc = body.model_dump(mode="json")
    doc["channels"] = channels
    doc["cascade"] = cascade.plan_document(tenant, body.cascade)
    return doc


def check_followable(parent: Notice, stage: Stage) -> None:
    """Conflict unless ``parent`` may get this follow-up: it is not itself one, not
    resolved, and (for an update) not expired."""
    if parent.parent_id is not None:
        raise Conflict(
            f"notice {parent.id} is itself a follow-up; post to notice {parent.parent_id}"
        )
    if parent.status == "resolved":
        raise Conflict(f"notice {parent.id} is already resolved")
    if parent.approval not in (None, "approved"):
        raise Conflict(
            f"notice {parent.id} was never sent ({parent.status.replace('_', ' ')}): "
            "approve or reject it instead"
        )
    if stage == "update" and parent.status == "expired":
        raise Conflict(f"notice {parent.id} has expired; post a new notice instead")


def follow_up_document(parent: Notice, stage: Stage, body: UpdateIn | ResolveIn) -> dict[str, Any]:
    """The document of an update or resolve: the notice's audience, channels and services,
    with the new words (and, for an update, a new headline or severity if given)."""
    headline: dict[str, str] = parent.headline
    severity = parent.severity
    if isinstance(body, UpdateIn):
        headline = {str(k): v for k, v in body.headline.items()} if body.headline else headline
        severity = body.severity or severity
    extra = set(body.body) - set(headline)
    if extra:
        raise InvalidInput(
            f"body has a language the notice has no headline in: {', '.join(sorted(extra))}",
            field=f"body.{sorted(extra)[0]}",
        )
    return {
        "severity": severity,
        "headline": headline,
        "body": body.body,
        "services": list(parent.services),
        "topics": list(parent.topics),
        "channels": list(parent.channels),
        # An update lapses with its notice; the all-clear always goes out.
        "expires_at": parent.expires_at.isoformat()
        if stage == "update" and parent.expires_at
        else None,
        "stage": stage,
        "parent": parent.id,
        "status": parent.mode,  # a drill's follow-ups are the drill's
    }
