"""A tenant's notices, updates and all-clears as an Atom feed (RFC 4287), newest first."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from lifeline.config import TenantConfig
from lifeline.pages.environment import render_page
from lifeline.pages.links import PageLinks
from lifeline.pages.status import StatusView, incident_context, tenant_context


def render_feed(tenant: TenantConfig, view: StatusView, language: str, links: PageLinks) -> str:
    """The feed in one language; entry ids stay the same in every language and copy."""
    authority = urlsplit(links.base).hostname or "lifeline.invalid"
    entries: list[dict[str, Any]] = []
    for incident in (*view.active, *view.past):
        shown = incident_context(tenant, incident, language)
        entries.append({**shown, "anchor": shown["id"], "stage": "alert"})
        entries += [{**u, "anchor": shown["id"], "services": []} for u in shown["updates"]]
    entries.sort(key=lambda e: e["created_at"], reverse=True)
    return render_page(
        "feed.atom.j2",
        language,
        tenant=tenant_context(tenant),
        links=links,
        entries=entries,
        updated_at=view.updated_at,
        tag=f"tag:{authority},2026:{tenant.id}",
    )
