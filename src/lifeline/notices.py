"""Outage notices: what one is, and posting one (stored, then planned on RQ)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from lifeline import defaults, templates
from lifeline.errors import InvalidInput

if TYPE_CHECKING:
    from lifeline.config import TenantConfig
    from lifeline.schemas import NoticeIn

Severity = Literal["minor", "major", "critical"]
Stage = Literal["alert", "update", "resolve"]
"""After the Common Alerting Protocol: the first message, a follow-up, the all-clear."""


@dataclass(frozen=True, slots=True)
class Notice:
    """An outage notice as stored; texts are keyed by language ("de", "en")."""

    id: int
    tenant_id: str
    severity: Severity
    headline: dict[str, str]
    body: dict[str, str]
    services: tuple[str, ...]
    topics: tuple[str, ...]
    channels: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None = None
    stage: Stage = "alert"
    status: Literal["active", "resolved", "expired"] = "active"
    parent_id: int | None = None
    """For an update or resolve: the notice it follows up."""
    extra: dict[str, str] = field(default_factory=dict)

    def language_for(self, wanted: str, default: str) -> str:
        """The language a member gets: theirs if the notice has it, else the tenant's, else any."""
        for language in (wanted, default):
            if language in self.headline:
                return language
        return next(iter(self.headline))


def fingerprint(body: Mapping[str, Any]) -> str:
    """A stable digest of a request body, to tell an honest retry from a reused key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def prepare(tenant: TenantConfig, body: NoticeIn) -> dict[str, Any]:
    """The document to store for a posted notice, after the checks that need the tenant.

    Raises InvalidInput naming the field: a topic the tenant does not have, a channel it
    does not offer, an unknown service, an SMS text over the tenant's segment limit.
    """
    unknown_topics = [t for t in body.topics if t not in tenant.topics]
    if unknown_topics:
        raise InvalidInput(
            f"unknown topic {unknown_topics[0]!r}; this tenant has: {', '.join(tenant.topics)}",
            field="topics",
        )
    offered = tenant.channels.configured()
    wanted: list[str] = list(body.channels) if body.channels else []
    channels = wanted or [k for k in defaults.CHANNELS if k in offered]
    missing = [c for c in channels if c not in offered]
    if missing or not channels:
        raise InvalidInput(
            f"channel {missing[0]!r} is not configured for this tenant"
            if missing
            else "this tenant has no channel configured",
            field="channels",
        )
    known = templates.known_services()
    unknown_services = [s for s in body.services if s not in known]
    if unknown_services:
        raise InvalidInput(
            f"unknown service {unknown_services[0]!r}; known: {', '.join(sorted(known))}",
            field="services",
        )
    doc = body.model_dump(mode="json")
    doc["channels"] = channels
    draft = from_document(0, tenant.id, doc, created_at=datetime.now(UTC))
    if "sms" in channels:
        templates.check_sms_length(tenant, draft)
    return doc


def from_document(
    notice_id: int, tenant_id: str, doc: Mapping[str, Any], *, created_at: datetime
) -> Notice:
    """A ``Notice`` from its stored JSON document."""
    expires = doc.get("expires_at")
    return Notice(
        id=notice_id,
        tenant_id=tenant_id,
        severity=doc["severity"],
        headline=dict(doc["headline"]),
        body=dict(doc.get("body") or {}),
        services=tuple(doc.get("services") or ()),
        topics=tuple(doc.get("topics") or ()),
        channels=tuple(doc.get("channels") or ()),
        created_at=created_at,
        expires_at=datetime.fromisoformat(expires) if expires else None,
        stage=doc.get("stage", "alert"),
        parent_id=doc.get("parent"),
    )
