"""API keys: bound to a tenant, carrying roles, stored only as a digest, revocable."""

from __future__ import annotations

import pytest
import redis

from lifeline.access import apikeys


def test_a_key_grants_its_tenant_and_roles(redis_client: redis.Redis) -> None:
    key = apikeys.create(redis_client, "demo-bkk", {"publisher"}, name="crisis desk")
    grant = apikeys.lookup(redis_client, key)
    assert grant is not None
    assert (grant.tenant_id, grant.roles, grant.name) == (
        "demo-bkk",
        frozenset({"publisher"}),
        "crisis desk",
    )
    assert grant.allows("publisher")
    assert not grant.allows("admin")
    assert key not in str(redis_client.keys("*"))
    assert key.startswith(apikeys.KEY_PREFIX)


def test_admins_may_do_everything(redis_client: redis.Redis) -> None:
    grant = apikeys.lookup(redis_client, apikeys.create(redis_client, "demo-bkk", {"admin"}))
    assert grant is not None
    assert all(grant.allows(r) for r in ("publisher", "support"))


def test_unknown_and_malformed_keys_grant_nothing(redis_client: redis.Redis) -> None:
    assert apikeys.lookup(redis_client, "ll_" + "x" * 43) is None
    assert apikeys.lookup(redis_client, "not-a-key") is None
    assert apikeys.lookup(redis_client, "ll_" + "x" * 300) is None


def test_a_revoked_key_grants_nothing_and_only_its_tenant_revokes_it(
    redis_client: redis.Redis,
) -> None:
    key = apikeys.create(redis_client, "demo-bkk", {"support"})
    assert not apikeys.revoke(redis_client, "other-kk", apikeys.digest(key))
    assert apikeys.lookup(redis_client, key) is not None
    assert apikeys.revoke(redis_client, "demo-bkk", apikeys.digest(key))
    assert apikeys.lookup(redis_client, key) is None


def test_roles_must_be_known(redis_client: redis.Redis) -> None:
    with pytest.raises(ValueError, match="roles must be among"):
        apikeys.create(redis_client, "demo-bkk", {"root"})
    with pytest.raises(ValueError, match="roles must be among"):
        apikeys.create(redis_client, "demo-bkk", set())
