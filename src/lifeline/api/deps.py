"""What routes need, as ``Annotated`` aliases: routes state their needs in the signature.

    @router.get("/v1/notices/{notice_id}", dependencies=[RequireReader])
    def get_notice(notice_id: int, tenant: TenantDep, store: NoticeStoreDep) -> NoticeOut: ...

Everything long-lived (settings, Redis clients, the plan queue, the stores) is created once
by ``create_app`` and kept on ``app.state``; these functions only hand it out. Access is
checked in this order: a valid API key (401), the role (403), a still-configured tenant (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, cast

import redis
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from rq import Queue

from lifeline.access import apikeys
from lifeline.access.apikeys import ApiKey
from lifeline.access.throttle import AuthThrottle
from lifeline.api.errors import NotAuthenticated, TooManyRequests
from lifeline.config import Settings, TenantConfig
from lifeline.core.errors import PermissionDenied
from lifeline.faq import FaqStore
from lifeline.members import MemberStore
from lifeline.notices import NoticeStore

# auto_error=False: FastAPI's own 401 would not be in our error shape.
bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="ll_…",
    description="An API key from `lifeline keys create --tenant ID --role ROLE`.",
)


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return cast(Settings, request.app.state.settings)


def get_redis(request: Request) -> redis.Redis:
    """The store client (strings)."""
    return cast(redis.Redis, request.app.state.redis)


def get_plan_queue(request: Request) -> Queue:
    """The RQ queue of planning jobs (``lifeline:plan``)."""
    return cast(Queue, request.app.state.plan_queue)


def get_notice_store(request: Request) -> NoticeStore:
    """Notices of every tenant (each call names its tenant)."""
    return cast(NoticeStore, request.app.state.notice_store)


def get_member_store(request: Request) -> MemberStore:
    """Members of every tenant (each call names its tenant)."""
    return cast(MemberStore, request.app.state.member_store)


def get_faq_store(request: Request) -> FaqStore:
    """FAQ entries of every tenant (each call names its tenant)."""
    return cast(FaqStore, request.app.state.faq_store)


SettingsDep = Annotated[Settings, Depends(get_settings)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
PlanQueueDep = Annotated[Queue, Depends(get_plan_queue)]
NoticeStoreDep = Annotated[NoticeStore, Depends(get_notice_store)]
MemberStoreDep = Annotated[MemberStore, Depends(get_member_store)]
FaqStoreDep = Annotated[FaqStore, Depends(get_faq_store)]
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
