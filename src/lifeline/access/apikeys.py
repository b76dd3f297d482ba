"""API keys: each bound to one tenant with roles, stored only as a SHA-256 digest.

Keys are 256 random bits, so a fast hash is enough: there is nothing to brute-force.

    ll:apikey:<digest>       hash: tenant, roles, name, created (global: read before the
                             tenant is known)
    ll:t:<tenant>:apikeys    set of the digests of a tenant's keys
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import cast

import redis

from lifeline.core.vocabulary import ROLES
from lifeline.db import keys

KEY_PREFIX = "ll_"
"""Printed keys start with this, so secret scanners and people can recognise them."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What a presented key grants."""

    tenant_id: str
    roles: frozenset[str]
    name: str
    digest: str

    def allows(self, role: str) -> bool:
        """Admins may do everything; everyone else what their roles say."""
        return "admin" in self.roles or role in self.roles


def _key(digest: str) -> str:
    return keys.global_key(f"apikey:{digest}")


def _tenant_keys(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}apikeys"


def digest(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create(client: redis.Redis, tenant_id: str, roles: set[str], name: str = "") -> str:
    """Store a new key for a tenant and return it; it cannot be shown again."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"roles must be among {', '.join(ROLES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    hashed = digest(key)
    pipe = client.pipeline()
    pipe.hset(
        _key(hashed),
        mapping={
            "tenant": tenant_id,
            "roles": ",".join(sorted(roles)),
            "name": name,
            "created": str(int(time.time())),
        },
    )
    pipe.sadd(_tenant_keys(tenant_id), hashed)
    pipe.execute()
    return key


def lookup(client: redis.Redis, key: str) -> ApiKey | None:
    """The grant of a presented key, or None if it is unknown or revoked."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    hashed = digest(key)
    fields = cast(dict[str, str], client.hgetall(_key(hashed)))
    if not fields:
        return None
    return ApiKey(
        tenant_id=fields["tenant"],
        roles=frozenset(r for r in fields["roles"].split(",") if r),
        name=fields.get("name", ""),
        digest=hashed,
    )


def revoke(client: redis.Redis, tenant_id: str, hashed: str) -> bool:
    """Delete a key by its digest; False if the tenant has no such key."""
    if not client.srem(_tenant_keys(tenant_id), hashed):
        return False
    client.delete(_key(hashed))
    return True
