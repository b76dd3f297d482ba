"""``/v1/keys``: a tenant's administrators manage its API keys (role admin).

A key is shown once, when it is created or rotated; afterwards only its id (the first 12
hex digits of its digest), label, roles and times are. ``lifeline keys …`` does the same
from the operator's shell.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import AwareDatetime, BaseModel, Field, field_validator

from lifeline.access import apikeys
from lifeline.access.apikeys import ApiKey
from lifeline.api.deps import AuditDep, RequireAdmin, TenantDep
from lifeline.core.fields import InputModel
from lifeline.core.vocabulary import Role
from lifeline.server.deps import RedisDep
from lifeline.server.errors import responses

router = APIRouter(prefix="/v1/keys", tags=["keys"], dependencies=[RequireAdmin])

KeyId = Annotated[
    str, Path(pattern=r"^[0-9a-f]{12}$", description="The key's id, as GET /v1/keys lists it.")
]


class KeyIn(InputModel):
    """A new key: who holds it, what it may do, and until when (if not for good)."""

    label: str = Field(min_length=1, max_length=120, description="Who or what holds the key.")
    roles: list[Role] = Field(min_length=1, max_length=3)
    expires_at: AwareDatetime | None = None

    @field_validator("roles")
    @classmethod
    def _once_each(cls, value: list[Role]) -> list[Role]:
        if len(set(value)) != len(value):
            raise ValueError("must not repeat a role")
        return value


class KeyOut(BaseModel):
    """A key as listed: everything but the key."""

    id: str
    label: str
    roles: list[str]
    created_at: datetime | None
    last_used_at: datetime | None
    """Updated at most once a minute."""
    expires_at: datetime | None
    expired: bool


class KeyCreated(KeyOut):
    """A new key, shown this once."""

    key: str


class KeyList(BaseModel):
    """``GET /v1/keys``: the tenant's keys, oldest first."""

    keys: list[KeyOut]


@router.get("", summary="The tenant's API keys", responses=responses(401, 403, 503))
def list_keys(tenant: TenantDep, client: RedisDep) -> KeyList:
    """Every key of the tenant, expired ones too (so they can be revoked)."""
    return KeyList(keys=[present(key) for key in apikeys.list_keys(client, tenant.id)])


@router.post(
    "",
    status_code=201,
    summary="Create an API key",
    responses=responses(400, 401, 403, 413, 422, 503),
)
def create_key(body: KeyIn, tenant: TenantDep, client: RedisDep, audit: AuditDep) -> KeyCreated:
    """The new key is in ``key``, this once; store it where its holder keeps secrets."""
    key = apikeys.create(client, tenant.id, body.roles, body.label, expires_at=body.expires_at)
    created = _created(client, key)
    audit.record("key.create", created.id, label=body.label, roles=",".join(sorted(body.roles)))
    return created


@router.post(
    "/{key_id}/rotate",
    status_code=201,
    summary="Replace an API key with a new one",
    responses=responses(401, 403, 404, 409, 422, 503),
)
def rotate_key(key_id: KeyId, tenant: TenantDep, client: RedisDep, audit: AuditDep) -> KeyCreated:
    """A new key with the same label, roles and expiry; the old one stops working now."""
    key, _ = apikeys.rotate(client, tenant.id, key_id)
    created = _created(client, key)
    audit.record("key.rotate", key_id, new_key=created.id)
    return created


@router.delete(
    "/{key_id}",
    status_code=204,
    summary="Revoke an API key",
    responses=responses(401, 403, 404, 422, 503),
)
def revoke_key(key_id: KeyId, tenant: TenantDep, client: RedisDep, audit: AuditDep) -> Response:
    """The key stops working at once, in every API process."""
    apikeys.revoke_id(client, tenant.id, key_id)
    audit.record("key.revoke", key_id)
    return Response(status_code=204)


def present(key: ApiKey) -> KeyOut:
    """A key as the API shows it."""
    return KeyOut(
        id=key.id,
        label=key.name,
        roles=sorted(key.roles),
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        expires_at=key.expires_at,
        expired=key.expired(),
    )


def _created(client: RedisDep, key: str) -> KeyCreated:
    grant = apikeys.describe(client, key)
    assert grant is not None  # just created
    return KeyCreated(key=key, **present(grant).model_dump())
