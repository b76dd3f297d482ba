"""What routes need, as ``Annotated`` aliases: routes state their needs in the signature.

    @router.get("/v1/notices/{notice_id}", dependencies=[RequireReader])
    def get_notice(notice_id: int, tenant: TenantDep, store: NoticeStoreDep) -> NoticeOut: ...

The settings, Redis and the stores come from ``lifeline.server.deps``; these are the admin
API's own: the key, its roles and its tenant. Access is checked in this order: a valid API
key (401), the role (403), a still-configured tenant (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lifeline.access import apikeys
from lifeline.access.apikeys import ApiKey
from lifeline.access.throttle import AuthThrottle
from lifeline.audit import Actor, AuditLog
from lifeline.config import TenantConfig
from lifeline.core.errors import PermissionDenied
from lifeline.core.vocabulary import AuditAction
from lifeline.server.deps import RedisDep, SettingsDep
from lifeline.server.errors import NotAuthenticated, TooManyRequests

# auto_error=False: FastAPI's own 401 would not be in our error shape.
bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="ll_…",
    description="An API key from `lifeline keys create --tenant ID --role ROLE`.",
)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def get_api_key(
    request: Request, credentials: Credentials, client: RedisDep, settings: SettingsDep
) -> ApiKey:
    """The grant of the presented bearer key; NotAuthenticated (401) if missing or unknown,
    TooManyRequests (429) once its address has failed too often (``access.throttle``)."""
    if credentials is None:
        raise NotAuthenticated("missing API key: send Authorization: Bearer <key>")
    key = apikeys.lookup(client, credentials.credentials)
    if key is None:
        address = request.client.host if request.client else "unknown"
        limit = settings.api.auth_failures_per_minute
        wait = AuthThrottle(client, limit).failed(address)
        if wait is not None:
            raise TooManyRequests(f"too many failed authentications; retry in {wait} s", wait)
        raise NotAuthenticated("unknown, revoked or expired API key")
    return key


ApiKeyDep = Annotated[ApiKey, Depends(get_api_key)]


def require_role(*roles: str) -> Callable[[ApiKey], ApiKey]:
    """A dependency passing keys that carry any of these roles (admins pass always)."""
    wanted = " or ".join(roles)

    def check(key: ApiKeyDep) -> ApiKey:
        if not any(key.allows(role) for role in roles):
            raise PermissionDenied(f"this API key lacks the role {wanted}")
        return key

    check.__name__ = f"require_{'_or_'.join(roles)}"
    return check


# For a route decorator's ``dependencies=[...]``, which FastAPI solves before the parameters.
RequirePublisher = Depends(require_role("publisher"))
RequireReader = Depends(require_role("publisher", "support"))
RequireSupport = Depends(require_role("support"))
RequireAdmin = Depends(require_role("admin"))


def get_tenant(key: ApiKeyDep, settings: SettingsDep) -> TenantConfig:
    """The config of the key's tenant; 403 when that tenant is no longer configured."""
    tenant = settings.tenant(key.tenant_id)
    if tenant is None:
        raise PermissionDenied(f"tenant {key.tenant_id!r} of this API key is not configured")
    return tenant


TenantDep = Annotated[TenantConfig, Depends(get_tenant)]


class Auditor:
    """Records the admin actions of one request, as the key that made it, in its tenant's
    audit log (``lifeline.audit``)."""

    def __init__(self, log: AuditLog, actor: Actor) -> None:
        self.log = log
        self.actor = actor

    def record(self, action: AuditAction, target: object = "", **details: Any) -> None:
        """One action done: what, to what, and anything worth knowing about it."""
        self.log.record(action, self.actor, str(target), **details)


def get_auditor(
    request: Request, key: ApiKeyDep, client: RedisDep, settings: SettingsDep
) -> Auditor:
    """The auditor of this request's key and address."""
    address = request.client.host if request.client else "unknown"
    log = AuditLog(client, key.tenant_id, retention_days=settings.api.audit_retention_days)
    return Auditor(log, Actor(key.id, key.name, address))


AuditDep = Annotated[Auditor, Depends(get_auditor)]
