"""A prepared notice as stored, with who last changed it and who approved it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lifeline.core.vocabulary import Severity


@dataclass(frozen=True, slots=True)
class Scenario:
    """A prepared notice: the fields of a posted one, minus the audience's moment."""

    key: str
    severity: Severity
    headline: dict[str, str]
    body: dict[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = ()
    topics: tuple[str, ...] | None = None
    """None: a notice's default topics."""
    channels: tuple[str, ...] | None = None
    """None: every channel the tenant offers."""
    updated_at: datetime | None = None
    updated_by: str = ""
    """The key label that last wrote it ("starter set" for the shipped ones)."""
    approved_by: str | None = None
    """A second person's key label: notices from it may skip the four-eyes approval."""
    approved_at: datetime | None = None

    def notice_fields(self) -> dict[str, Any]:
        """The fields of a posted notice (``NoticeIn``) it stands for."""
        found: dict[str, Any] = {
            "severity": self.severity,
            "headline": dict(self.headline),
            "body": dict(self.body),
            "services": list(self.services),
        }
        if self.topics is not None:
            found["topics"] = list(self.topics)
        if self.channels is not None:
            found["channels"] = list(self.channels)
        return found


def to_document(scenario: Scenario) -> dict[str, Any]:
    """The JSON document a scenario is stored as."""
    return {
        **scenario.notice_fields(),
        "topics": None if scenario.topics is None else list(scenario.topics),
        "channels": None if scenario.channels is None else list(scenario.channels),
        "updated_at": scenario.updated_at.isoformat() if scenario.updated_at else None,
        "updated_by": scenario.updated_by,
        "approved_by": scenario.approved_by,
        "approved_at": scenario.approved_at.isoformat() if scenario.approved_at else None,
    }


def from_document(key: str, doc: dict[str, Any]) -> Scenario:
    """A ``Scenario`` from its stored document."""

    def moment(name: str) -> datetime | None:
        value = doc.get(name)
        return datetime.fromisoformat(value) if value else None

    topics, channels = doc.get("topics"), doc.get("channels")
    return Scenario(
        key=key,
        severity=doc["severity"],
        headline=dict(doc["headline"]),
        body=dict(doc.get("body") or {}),
        services=tuple(doc.get("services") or ()),
        topics=None if topics is None else tuple(topics),
        channels=None if channels is None else tuple(channels),
        updated_at=moment("updated_at"),
        updated_by=doc.get("updated_by", ""),
        approved_by=doc.get("approved_by"),
        approved_at=moment("approved_at"),
    )
