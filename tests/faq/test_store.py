"""FAQ entries in Redis, per tenant."""

from __future__ import annotations

import pytest
import redis

from lifeline.core.errors import NotFound
from lifeline.faq import FaqStore, make_entry


def test_put_get_list_delete(redis_client: redis.Redis) -> None:
    store = FaqStore(redis_client)
    entry = make_entry(
        key="b", question={"de": "Frage?"}, answer={"de": "Antwort."}, keywords=["x"]
    )
    stored, created = store.put("demo-bkk", entry)
    assert created
    assert stored.updated_at is not None
    _, created_again = store.put(
        "demo-bkk", make_entry(key="b", question={"en": "Q?"}, answer={"en": "A."})
    )
    assert not created_again
    store.put("demo-bkk", make_entry(key="a", question={"de": "F"}, answer={"de": "A"}))
    assert [e.key for e in store.list("demo-bkk")] == ["a", "b"]
    assert store.get("demo-bkk", "b").question == {"en": "Q?"}
    store.delete("demo-bkk", "b")
    assert store.find("demo-bkk", "b") is None
    with pytest.raises(NotFound):
        store.delete("demo-bkk", "b")
    with pytest.raises(NotFound):
        store.get("demo-bkk", "b")


def test_tenants_do_not_see_each_others_entries(redis_client: redis.Redis) -> None:
    store = FaqStore(redis_client)
    store.put("demo-bkk", make_entry(key="a", question={"de": "F"}, answer={"de": "A"}))
    assert store.list("other-kk") == []
    assert store.find("other-kk", "a") is None
