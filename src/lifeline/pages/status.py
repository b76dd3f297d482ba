"""A tenant's notices as the status page shows them: what is going on now, each with what to
do instead for every affected service and its updates, then what happened in the last days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lifeline.config import TenantConfig
from lifeline.core import defaults
from lifeline.core.vocabulary import best_language
from lifeline.notices import Notice, NoticeStore
from lifeline.notices.services import services_for
from lifeline.pages.environment import render_page
from lifeline.pages.links import PageLinks


@dataclass(frozen=True, slots=True)
class Incident:
    """A notice with its updates and all-clear, oldest first."""

    notice: Notice
    followups: tuple[Notice, ...]

    @property
    def resolved_at(self) -> datetime | None:
        """When the all-clear went out, if it has."""
        return next((f.created_at for f in self.followups if f.stage == "resolve"), None)

    @property
    def updated_at(self) -> datetime:
        """The newest of the notice and its follow-ups."""
        return max([self.notice.created_at, *(f.created_at for f in self.followups)])


@dataclass(frozen=True, slots=True)
class StatusView:
    """What a tenant's status page shows, read at one moment."""

    active: tuple[Incident, ...]
    past: tuple[Incident, ...]
    read_at: datetime

    @property
    def updated_at(self) -> datetime:
        """The newest change on the page (the moment it was read when there is none)."""
        changes = [i.updated_at for i in (*self.active, *self.past)]
        return max(changes) if changes else self.read_at


def read_status(store: NoticeStore, tenant_id: str, *, now: datetime | None = None) -> StatusView:
    """Active notices, newest first, then those of the last ``STATUS_HISTORY_DAYS`` days."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=defaults.STATUS_HISTORY_DAYS)
    active: list[Incident] = []
    past: list[Incident] = []
    shown = [
        n
        for n in store.list(tenant_id, limit=defaults.STATUS_MAX_NOTICES)
        if n.public and (n.status == "active" or n.created_at >= since)
    ]
    followups = store.followups_of(tenant_id, [n.id for n in shown])
    for notice in shown:
        incident = Incident(notice, tuple(followups[notice.id]))
        (active if notice.status == "active" else past).append(incident)
    return StatusView(active=tuple(active), past=tuple(past), read_at=now)


def render_status(tenant: TenantConfig, view: StatusView, language: str, links: PageLinks) -> str:
    """The status page in one language."""
    return render_page(
        "status.html.j2",
        language,
        tenant=tenant_context(tenant),
        links=links,
        active=[incident_context(tenant, i, language) for i in view.active],
        past=[incident_context(tenant, i, language) for i in view.past],
        updated_at=view.updated_at,
    )


def tenant_context(tenant: TenantConfig) -> dict[str, str]:
    """What pages show of a tenant: plain values only."""
    return {
        "id": tenant.id,
        "name": tenant.name,
        "hotline": tenant.hotline,
        "website": str(tenant.website) if tenant.website else "",
    }


def incident_context(tenant: TenantConfig, incident: Incident, language: str) -> dict[str, Any]:
    """One incident's texts in the reader's language (or the best one the notice has)."""
    notice = incident.notice
    return {
        "id": notice.id,
        "severity": notice.severity,
        "status": notice.status,
        **_texts(tenant, notice, language),
        "services": services_for(tenant, notice.services, _language(tenant, notice, language)),
        "created_at": notice.created_at,
        "expires_at": notice.expires_at,
        "resolved_at": incident.resolved_at,
        "updated_at": incident.updated_at,
        "updates": [
            {
                "id": f.id,
                "stage": f.stage,
                "created_at": f.created_at,
                **_texts(tenant, f, language),
            }
            for f in reversed(incident.followups)
        ],
    }


def _texts(tenant: TenantConfig, notice: Notice, language: str) -> dict[str, str]:
    shown = _language(tenant, notice, language)
    return {
        "language": shown,
        "headline": notice.headline.get(shown, ""),
        "body": notice.body.get(shown, ""),
    }


def _language(tenant: TenantConfig, notice: Notice, language: str) -> str:
    return best_language(notice.headline, language, tenant.default_language)
