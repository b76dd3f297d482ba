"""``GET /v1/audit``: who did what, when, from where — the tenant's admin actions, newest
first, paged (role admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from lifeline.api.deps import RequireAdmin, TenantDep
from lifeline.audit import AuditEntry, AuditLog
from lifeline.core import defaults
from lifeline.core.vocabulary import AuditAction
from lifeline.server.deps import RedisDep, SettingsDep
from lifeline.server.errors import responses

router = APIRouter(prefix="/v1/audit", tags=["audit"], dependencies=[RequireAdmin])


class AuditEntryOut(BaseModel):
    """One admin action."""

    id: str
    at: datetime
    action: str
    key_id: str
    """The acting key's id, as ``/v1/keys`` lists it (``shell`` for ``lifeline keys``)."""
    key_label: str
    address: str
    """The client address the request came from."""
    target: str
    details: dict[str, str]


class AuditPageOut(BaseModel):
    """A page of entries, newest first; ``next_cursor`` fetches the older ones."""

    entries: list[AuditEntryOut]
    next_cursor: str | None


@router.get("", summary="The audit log", responses=responses(401, 403, 422, 503))
def list_audit(
    tenant: TenantDep,
    client: RedisDep,
    settings: SettingsDep,
    since: Annotated[AwareDatetime | None, Query(description="Only entries from then on.")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Only entries until then.")] = None,
    action: Annotated[
        list[AuditAction] | None, Query(max_length=20, description="Only these actions.")
    ] = None,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,16}-\d{1,10}$")] = None,
    limit: Annotated[int, Query(ge=1, le=defaults.AUDIT_PAGE_SIZE)] = defaults.AUDIT_PAGE_SIZE,
) -> AuditPageOut:
    """Every notice post, update and resolve, member change and import, FAQ change and key
    change, with the key (id and label) and client address that made it."""
    log = AuditLog(client, tenant.id, retention_days=settings.api.audit_retention_days)
    page = log.page(cursor=cursor, since=since, until=until, actions=action or (), limit=limit)
    return AuditPageOut(entries=[_out(e) for e in page.entries], next_cursor=page.next_cursor)


def _out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(
        id=entry.id,
        at=entry.at,
        action=entry.action,
        key_id=entry.actor.key_id,
        key_label=entry.actor.label,
        address=entry.actor.address,
        target=entry.target,
        details=entry.details,
    )
