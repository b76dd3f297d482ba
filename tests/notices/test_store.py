"""Notices: storage, listing order, idempotency keys, tenant scoping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from lifeline.core.errors import Conflict, NotFound
from lifeline.notices import NoticeStore

DOC = {
    "severity": "major",
    "headline": {"de": "Störung", "en": "Outage"},
    "body": {},
    "services": ["app"],
    "topics": ["outages"],
    "channels": ["email"],
    "expires_at": None,
}


@pytest.fixture
def store(redis_client: redis.Redis) -> NoticeStore:
    return NoticeStore(redis_client)


def test_create_and_get(store: NoticeStore) -> None:
    notice, created = store.create("a", DOC)
    assert created
    got = store.get("a", notice.id)
    assert (got.headline, got.channels, got.status) == (DOC["headline"], ("email",), "active")


def test_ids_count_per_tenant_and_another_tenants_notice_is_not_found(
    store: NoticeStore,
) -> None:
    # Issue 10.15: one counter for all let a tenant count the others' notices.
    mine = [store.create("a", DOC)[0] for _ in range(3)]
    theirs, _ = store.create("b", DOC)
    assert [n.id for n in mine] == [1, 2, 3]
    assert theirs.id == 1
    store.create("b", DOC)
    with pytest.raises(NotFound):
        store.get("b", mine[2].id)  # b has notices 1 and 2 only


def test_a_tenants_ids_continue_after_the_shared_counter_of_0_1(
    store: NoticeStore, redis_client: redis.Redis
) -> None:
    redis_client.set("ll:seq:notice", 41)  # what 0.1 left behind
    first, _ = store.create("a", DOC)
    assert first.id == 42
    assert store.create("b", DOC)[0].id == 42


def test_idempotency_key_replays_first_notice(
    store: NoticeStore, redis_client: redis.Redis
) -> None:
    first, created = store.create("a", DOC, idempotency_key="k1", fingerprint="f")
    keys_after_first = sorted(redis_client.keys("*"))
    again, created_again = store.create("a", DOC, idempotency_key="k1", fingerprint="f")
    assert (created, created_again, again.id) == (True, False, first.id)
    assert sorted(redis_client.keys("*")) == keys_after_first
    with pytest.raises(Conflict, match="different request"):
        store.create("a", DOC, idempotency_key="k1", fingerprint="other")
    other_tenant, created_b = store.create("b", DOC, idempotency_key="k1", fingerprint="f")
    assert created_b
    assert store.get("b", other_tenant.id).tenant_id == "b"  # its own notice, not a's


def test_list_active_first_then_newest(store: NoticeStore) -> None:
    old, _ = store.create("a", DOC)
    time.sleep(0.002)
    resolved, _ = store.create("a", DOC)
    store.mark("a", resolved.id, status="resolved")
    time.sleep(0.002)
    new, _ = store.create("a", DOC)
    soon = (datetime.now(UTC) + timedelta(milliseconds=1)).isoformat()
    expiring, _ = store.create("a", {**DOC, "expires_at": soon})
    time.sleep(0.01)
    listed = store.list("a")
    assert [n.id for n in listed] == [new.id, old.id, expiring.id, resolved.id]
    assert [n.status for n in listed] == ["active", "active", "expired", "resolved"]
