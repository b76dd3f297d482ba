"""An outage notice as stored: texts per language, what it affects, where it goes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lifeline.core.vocabulary import (
    ApprovalState,
    NoticeMode,
    NoticeStatus,
    Severity,
    Stage,
    best_language,
)
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
    mode: NoticeMode = "actual"
    """CAP status: only ``actual`` notices reach everyone and appear in public."""
    scenario: str | None = None
    """The key of the prepared scenario it was made from, if any."""
    approval: ApprovalState | None = None
    """None: the tenant's policy asked no second person."""

    @property
    def public(self) -> bool:
        """Whether the status page, the feed and the bot's /status may show it: a real
        notice that went out (not a drill, not waiting for or refused approval)."""
        return self.mode == "actual" and self.approval in (None, "approved")

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
        mode=doc.get("status") or "actual",
        scenario=doc.get("scenario"),
        cascade=cascade.from_document(doc.get("cascade")),
    )
