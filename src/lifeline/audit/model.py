"""One entry of the audit log, and who acted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lifeline.core.vocabulary import AuditAction


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: an API key (id and label, as ``/v1/keys`` lists them) from an address, or
    the operator's shell (``lifeline keys …``)."""

    key_id: str
    label: str
    address: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An admin action as recorded."""

    id: str
    """The stream entry id: time-ordered, and the cursor of ``/v1/audit``."""
    at: datetime
    action: AuditAction
    actor: Actor
    target: str
    """What it was done to: a notice, member or key id, an FAQ key, "" for an import."""
    details: dict[str, str] = field(default_factory=dict)
