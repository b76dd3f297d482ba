"""An outage notice as stored: texts per language, what it affects, where it goes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lifeline.core.vocabulary import NoticeStatus, Severity, Stage, best_language
from lifeline.notices import cascade
from lifeline.notices.cascade import CascadePlan


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
    status: NoticeStatus = "active"
    parent_id: int | None = None
    """For an update or resolve: the notice it follows up."""
    extra: dict[str, str] = field(default_factory=dict)
    cascade: CascadePlan | None = None
    """On to the member's next channel when not acknowledged in time (``notices.cascade``)."""

    def language_for(self, wanted: str, default: str) -> str:
        """The language a member gets: theirs if the notice has it, else the tenant's, else any."""
        return best_language(self.headline, wanted, default)


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
        cascade=cascade.from_document(doc.get("cascade")),
    )
