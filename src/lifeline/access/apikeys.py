"""API keys: each bound to one tenant with roles and a label, stored only as a SHA-256 digest.

Keys are 256 random bits, so a fast hash is enough: there is nothing to brute-force. A key
is named by its id, the first 12 hex digits of its digest: enough to tell a tenant's keys
apart, nothing to rebuild the key from.

    ll:apikey:<digest>       hash: tenant, roles, name (the label), created, expires,
                             used (global: read before the tenant is known)
    ll:t:<tenant>:apikeys    set of the digests of a tenant's keys

A key's last use is written at most once a minute (``KEY_USE_RESOLUTION_SECONDS``): a
request's lookup stays one read.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis

from lifeline.core.defaults import KEY_USE_RESOLUTION_SECONDS
from lifeline.core.errors import Conflict, InvalidInput, NotFound
from lifeline.core.vocabulary import ROLES
from lifeline.db import keys

KEY_PREFIX = "ll_"
"""Printed keys start with this, so secret scanners and people can recognise them."""

ID_LENGTH = 12
"""Hex digits of the digest that name a key."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What a key grants, and what is known about it (never the key itself)."""

    tenant_id: str
    roles: frozenset[str]
    name: str
    """The label: who or what holds the key."""
    digest: str
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def id(self) -> str:
        """The key's public name."""
        return self.digest[:ID_LENGTH]

    def allows(self, role: str) -> bool:
        """Admins may do everything; everyone else what their roles say."""
        return "admin" in self.roles or role in self.roles

    def expired(self, now: float | None = None) -> bool:
        """Whether the key's expiry has passed."""
        moment = time.time() if now is None else now
        return self.expires_at is not None and self.expires_at.timestamp() <= moment


def key_id(key: str) -> str:
    """The id a key is named by (``ApiKey.id``), from the key itself."""
    return digest(key)[:ID_LENGTH]


def digest(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def create(
    client: redis.Redis,
    tenant_id: str,
    roles: Iterable[str],
    name: str = "",
    *,
    expires_at: datetime | None = None,
) -> str:
    """Store a new key for a tenant and return it; it cannot be shown again."""
    wanted = set(roles)
    unknown = wanted - set(ROLES)
    if unknown or not wanted:
        raise ValueError(f"roles must be among {', '.join(ROLES)}")
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise InvalidInput("must be in the future", field="expires_at")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    hashed = digest(key)
    fields = {
        "tenant": tenant_id,
        "roles": ",".join(sorted(wanted)),
        "name": name,
        "created": str(int(time.time())),
    }
    if expires_at is not None:
        fields["expires"] = str(int(expires_at.timestamp()))
    pipe = client.pipeline()
    pipe.hset(_key(hashed), mapping=cast(Any, fields))  # redis-py types keys invariantly
    pipe.sadd(_tenant_keys(tenant_id), hashed)
    pipe.execute()
    return key


def lookup(client: redis.Redis, key: str) -> ApiKey | None:
    """The grant of a presented key, or None if it is unknown, revoked or expired.

    Records the use (at most once a minute per key).
    """
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    hashed = digest(key)
    fields = cast(dict[str, str], client.hgetall(_key(hashed)))
    if not fields:
        return None
    grant = _decode(hashed, fields)
    now = time.time()
    if grant.expired(now):
        return None
    if now - int(fields.get("used", 0)) >= KEY_USE_RESOLUTION_SECONDS:
        client.hset(_key(hashed), "used", str(int(now)))
    return grant


def describe(client: redis.Redis, key: str) -> ApiKey | None:
    """What is stored about a key, without counting it as used."""
    hashed = digest(key)
    fields = cast(dict[str, str], client.hgetall(_key(hashed)))
    return _decode(hashed, fields) if fields else None


def list_keys(client: redis.Redis, tenant_id: str) -> list[ApiKey]:
    """The tenant's keys (expired ones too, so they can be seen and revoked), oldest first."""
    digests = sorted(cast(set[str], client.smembers(_tenant_keys(tenant_id))))
    pipe = client.pipeline(transaction=False)
    for hashed in digests:
        pipe.hgetall(_key(hashed))
    found = [_decode(d, f) for d, f in zip(digests, pipe.execute(), strict=True) if f]
    return sorted(found, key=lambda k: (k.created_at or datetime.min.replace(tzinfo=UTC), k.id))


def find(client: redis.Redis, tenant_id: str, key_id: str) -> ApiKey:
    """The tenant's key with this id; NotFound otherwise (also for another tenant's)."""
    for key in list_keys(client, tenant_id):
        if key.id == key_id:
            return key
    raise NotFound(f"API key {key_id!r} not found")


def revoke(client: redis.Redis, tenant_id: str, hashed: str) -> bool:
    """Delete a key by its digest; False if the tenant has no such key."""
    if not client.srem(_tenant_keys(tenant_id), hashed):
        return False
    client.delete(_key(hashed))
    return True


def revoke_id(client: redis.Redis, tenant_id: str, key_id: str) -> ApiKey:
    """Revoke the tenant's key with this id; NotFound if it has none."""
    key = find(client, tenant_id, key_id)
    revoke(client, tenant_id, key.digest)
    return key


def rotate(client: redis.Redis, tenant_id: str, key_id: str) -> tuple[str, ApiKey]:
    """A new key with the same label, roles and expiry, and the old one revoked."""
    old = find(client, tenant_id, key_id)
    if old.expired():
        # Rotating must not bring back a key that has run out: that is a new decision.
        raise Conflict(f"API key {key_id!r} has expired: revoke it and create a new one")
    new = create(client, tenant_id, old.roles, old.name, expires_at=old.expires_at)
    revoke(client, tenant_id, old.digest)
    return new, old


def _decode(hashed: str, fields: dict[str, str]) -> ApiKey:
    def when(name: str) -> datetime | None:
        value = fields.get(name)
        return datetime.fromtimestamp(int(value), UTC) if value else None

    return ApiKey(
        tenant_id=fields["tenant"],
        roles=frozenset(r for r in fields.get("roles", "").split(",") if r),
        name=fields.get("name", ""),
        digest=hashed,
        created_at=when("created"),
        last_used_at=when("used"),
        expires_at=when("expires"),
    )


def _key(digest: str) -> str:
    return keys.global_key(f"apikey:{digest}")


def _tenant_keys(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}apikeys"
